#!/usr/bin/env bash
# The History Server collector (examples/raycluster-history-server.yaml): the head and every
# worker pod run the sidecar "collector" with its role, cluster and the user's storage env, Ray
# exports its events to it, and both share /tmp/ray.
. "$(dirname "$0")/lib.sh"
new_namespace
start_operator
C=ray-history
container() { k get pod "$1" -n "$NS" -o json | jq -c --arg n "$2" '.spec.containers[] | select(.name == $n)'; }

step "the example becomes Ready with a collector in every pod"
k apply -n "$NS" -f "$(dirname "$0")/../../examples/raycluster-history-server.yaml" >/dev/null
ready_cluster "$C"
w=$(worker_pods "$C" | head -1)
for pod in "$C-head-0" "$w"; do
  collector=$(container "$pod" collector)
  [ -n "$collector" ] || fail "$pod has no collector"
  assert_eq "$(jq -r .image <<<"$collector")" kuberay/collector:v1.7.0 "$pod's collector image"
  assert_eq "$(jq -r '.env[] | select(.name == "STORAGE_BACKEND") | .value' <<<"$collector")" s3 "$pod's STORAGE_BACKEND"
  assert_eq "$(jq -r '.volumeMounts[] | select(.name == "ray-logs") | .mountPath' <<<"$collector")" /tmp/ray \
    "$pod's collector /tmp/ray"
  assert_eq "$(container "$pod" "$(k get pod "$pod" -n "$NS" -o jsonpath='{.spec.containers[0].name}')" |
    jq -r '.env[] | select(.name == "RAY_DASHBOARD_AGGREGATOR_AGENT_EVENTS_EXPORT_ADDR") | .value')" \
    http://localhost:8084/v1/events "$pod's Ray event export"
done
assert_eq "$(container "$C-head-0" collector | jq -r '.env[] | select(.name == "RAY_ROLE") | .value')" Head "the head's RAY_ROLE"
assert_eq "$(container "$w" collector | jq -r '.env[] | select(.name == "RAY_ROLE") | .value')" Worker "the worker's RAY_ROLE"
