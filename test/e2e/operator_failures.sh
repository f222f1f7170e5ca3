#!/usr/bin/env bash
# A failed worker pod is deleted and replaced; a deleted head pod comes back (StatefulSet);
# status leaves ready while the head is down and returns after.
. "$(dirname "$0")/lib.sh"
new_namespace
start_operator
C=heal

apply_cluster "$C" 2 false 0 4
ready_cluster "$C"

step "a failed worker is deleted and replaced"
victim=$(worker_pods "$C" | sed -n 1p)
k annotate pod "$victim" -n "$NS" sandbox.ray-operator.dev/fail=1 >/dev/null
wait_until 30 "$victim gone" bash -c "! kubectl get pod $victim -n $NS -o name >/dev/null 2>&1"
wait_until 60 "2 Running workers" workers_running_are "$C" 2
worker_pods "$C" | quiet_grep -x "$victim" && fail "the failed pod is still there"
k describe raycluster "$C" -n "$NS" | quiet_grep DeletedWorkerPod || fail "no DeletedWorkerPod event"
ready_cluster "$C"

step "a deleted head pod comes back, and status follows it down and up"
k delete pod "$C-head-0" -n "$NS" --wait=false >/dev/null
wait_until 30 "state to leave ready" bash -c "[ \"\$(kubectl get raycluster $C -n $NS -o jsonpath='{.status.state}' 2>/dev/null)\" != ready ]"
cluster_condition_is "$C" Ready True && fail "Ready stayed True while the head was down"
wait_until 90 "the head pod back and Running" bash -c "[ \"\$(kubectl get pod $C-head-0 -n $NS -o jsonpath='{.status.phase}' 2>/dev/null)\" = Running ]"
ready_cluster "$C"
assert_eq "$(get raycluster "$C" '{.status.state}')" ready "state after the head returned"
