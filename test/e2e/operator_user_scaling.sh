#!/usr/bin/env bash
# Scaling by the user: replicas up adds pods, replicas above maxReplicas is clamped, and with
# autoscaling off a scale-down removes surplus pods, pending and not-ready ones first.
. "$(dirname "$0")/lib.sh"
new_namespace
start_operator
C=scale

step "a cluster with 2 workers"
apply_cluster "$C" 2 false 0 4
ready_cluster "$C"
before=$(worker_pods "$C")

step "replicas 2 -> 3 adds one pod and keeps the others"
k patch raycluster "$C" -n "$NS" --type=json -p '[{"op":"replace","path":"/spec/workerGroupSpecs/0/replicas","value":3}]' >/dev/null
wait_until 30 "3 workers" workers_are "$C" 3
for p in $before; do worker_pods "$C" | quiet_grep -x "$p" || fail "$p was removed"; done

step "replicas above maxReplicas (4) is clamped"
k patch raycluster "$C" -n "$NS" --type=json -p '[{"op":"replace","path":"/spec/workerGroupSpecs/0/replicas","value":9}]' >/dev/null
wait_until 30 "4 workers" workers_are "$C" 4
holds 3 "4 workers" workers_are "$C" 4
assert_eq "$(get raycluster "$C" '{.status.desiredWorkerReplicas}')" 4 "desiredWorkerReplicas"

step "scale-down removes a not-ready pod first"
wait_until 60 "4 Running workers" workers_running_are "$C" 4
unready=$(worker_pods "$C" | sed -n 1p)
k annotate pod "$unready" -n "$NS" sandbox.ray-operator.dev/not-ready=true >/dev/null
wait_until 30 "$unready not ready" bash -c "[ \"\$(kubectl get pod $unready -n $NS -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].status}' 2>/dev/null)\" = False ]"
k patch raycluster "$C" -n "$NS" --type=json -p '[{"op":"replace","path":"/spec/workerGroupSpecs/0/replicas","value":3}]' >/dev/null
wait_until 30 "3 workers" workers_are "$C" 3
wait_until 30 "$unready gone" bash -c "! kubectl get pod $unready -n $NS -o name 2>/dev/null | quiet_grep . || [ -n \"\$(kubectl get pod $unready -n $NS -o jsonpath='{.metadata.deletionTimestamp}' 2>/dev/null)\" ]"
