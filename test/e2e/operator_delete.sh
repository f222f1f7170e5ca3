#!/usr/bin/env bash
# Deleting the RayCluster garbage-collects every child.
. "$(dirname "$0")/lib.sh"
new_namespace
start_operator
C=gone

apply_cluster "$C" 2 true 0 4
ready_cluster "$C"
k get sa,role,rolebinding,svc,sts -n "$NS" -l "ray.io/cluster=$C" -o name | grep -c . | quiet_grep -x 6 \
  || fail "expected 6 owned children before the delete"

step "delete the RayCluster"
k delete raycluster "$C" -n "$NS" >/dev/null
wait_until 90 "every child gone" bash -c "[ -z \"\$(kubectl get pods,svc,sts,sa,role,rolebinding -n $NS -l ray.io/cluster=$C -o name 2>/dev/null)\" ]"
