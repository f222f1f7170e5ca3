#!/usr/bin/env bash
# spec.suspend: true removes every pod (the head StatefulSet goes to 0) through the
# Suspending and Suspended conditions; false brings them back.
. "$(dirname "$0")/lib.sh"
new_namespace
start_operator
C=nap

apply_cluster "$C" 2 false 0 4
ready_cluster "$C"

step "suspend"
k patch raycluster "$C" -n "$NS" --type=merge -p '{"spec":{"suspend":true}}' >/dev/null
wait_until 60 "no pods" bash -c "[ -z \"\$(kubectl get pods -n $NS -l ray.io/cluster=$C -o name 2>/dev/null)\" ]"
assert_eq "$(get statefulset "$C-head" '{.spec.replicas}')" 0 "head StatefulSet replicas"
wait_until 30 "Suspended" cluster_condition_is "$C" RayClusterSuspended True
assert_eq "$(cluster_condition "$C" RayClusterSuspending)" False "Suspending after the pods are gone"
wait_until 10 "state suspended" cluster_state_is "$C" suspended
k get service "$C-head-svc" -n "$NS" >/dev/null || fail "suspend removed the head service"

step "resume"
k patch raycluster "$C" -n "$NS" --type=merge -p '{"spec":{"suspend":false}}' >/dev/null
wait_until 30 "Suspended False" cluster_condition_is "$C" RayClusterSuspended False
ready_cluster "$C" 120
wait_until 10 "2 workers" workers_are "$C" 2
