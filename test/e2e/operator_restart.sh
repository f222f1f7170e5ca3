#!/usr/bin/env bash
# Killing the operator (SIGKILL) in the middle of a 20-pod scale-up and starting it again:
# it converges with no duplicate pods and no deletions.
. "$(dirname "$0")/lib.sh"
new_namespace
start_operator
C=big

apply_cluster "$C" 0 false 0 30
ready_cluster "$C"

step "scale to 20 and kill the operator mid-way"
k patch raycluster "$C" -n "$NS" --type=json -p '[{"op":"replace","path":"/spec/workerGroupSpecs/0/replicas","value":20}]' >/dev/null
wait_until 30 "the scale-up to start" bash -c "[ \"\$(kubectl get pods -n $NS -l ray.io/cluster=$C,ray.io/node-type=worker -o name 2>/dev/null | wc -l)\" -ge 1 ]"
stop_operator KILL
seen=$(worker_pods "$C")
say "$(echo "$seen" | grep -c .) worker pods existed when the operator was killed"

step "start it again: exactly 20 workers, none deleted"
start_operator
wait_until 60 "20 workers" workers_are "$C" 20
holds 5 "exactly 20 workers" workers_are "$C" 20
assert_eq "$(worker_pods "$C" | grep -c .)" 20 "worker pods, terminating ones included"
for p in $seen; do k get pod "$p" -n "$NS" -o name >/dev/null 2>&1 || fail "$p was deleted"; done
k get events -n "$NS" --field-selector reason=DeletedWorkerPod -o name | quiet_grep . && fail "a worker pod was deleted"
ready_cluster "$C" 120
