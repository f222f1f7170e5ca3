#!/usr/bin/env bash
# Scaling by the Ray autoscaler, exactly as it does it: JSON patches of
# /spec/workerGroupSpecs/<i>/replicas and /scaleStrategy, sent with the autoscaler's own
# ServiceAccount token (so its Role must suffice). Up: pods appear within a second. Down:
# exactly the named pods go and none replaces them; unnamed pods are never deleted while
# autoscaling is on; a name that no longer exists is ignored; the operator never writes
# replicas or scaleStrategy itself.
. "$(dirname "$0")/lib.sh"
new_namespace
start_operator
C=auto

step "a cluster with in-tree autoscaling and 1 worker"
apply_cluster "$C" 1 true 0 5
ready_cluster "$C"

step "the autoscaler's own token and endpoint"
token=$(k create token "$C" -n "$NS" --duration=30m)
server=$(k config view --minify -o 'jsonpath={.clusters[0].cluster.server}')
ca=$(k config view --minify --raw -o 'jsonpath={.clusters[0].cluster.certificate-authority}')
url="$server/apis/ray.io/v1/namespaces/$NS/rayclusters/$C"
autoscaler_patch() {
  local code
  code=$(curl -sS --cacert "$ca" -H "Authorization: Bearer $token" \
    -H "Content-type: application/json-patch+json" -X PATCH "$url" -d "$1" -o /dev/null -w '%{http_code}')
  [ "$code" = 200 ] || fail "the autoscaler's patch was answered $code: $1"
}
curl -sS --cacert "$ca" -H "Authorization: Bearer $token" "$url" -o /dev/null -w '%{http_code}' | quiet_grep -x 200 \
  || fail "the autoscaler's token cannot read the RayCluster"

step "the head pod takes the old autoscaler's timestamp patch (Ray 2.2-2.6: replace of an annotation)"
head=$(k get pods -n "$NS" -l "ray.io/cluster=$C,ray.io/node-type=head" -o 'jsonpath={.items[0].metadata.name}')
head_uid=$(get pod "$head" '{.metadata.uid}')
stamp=$(date -u +%Y-%m-%dT%H:%M:%SZ)
code=$(curl -sS --cacert "$ca" -H "Authorization: Bearer $token" -H "Content-type: application/json-patch+json" \
  -X PATCH "$server/api/v1/namespaces/$NS/pods/$head" -o /dev/null -w '%{http_code}' \
  -d "[{\"op\": \"replace\", \"path\": \"/metadata/annotations/ray.io~1autoscaler-update-timestamp\", \"value\": \"$stamp\"}]")
assert_eq "$code" 200 "the head pod's answer to the autoscaler's timestamp patch"
assert_eq "$(get pod "$head" '{.metadata.annotations.ray\.io/autoscaler-update-timestamp}')" "$stamp" "the timestamp on the head pod"
head_is_still() { [ "$(get pod "$head" '{.metadata.uid}' 2>/dev/null)" = "$1" ]; }
holds 3 "the same head pod, not recreated for an annotation" head_is_still "$head_uid"

step "scale up: 1 -> 3, the pods appear within a second"
t0=$(date +%s%N)
autoscaler_patch '[{"op": "replace", "path": "/spec/workerGroupSpecs/0/replicas", "value": 3}]'
wait_until 10 "3 workers" workers_are "$C" 3
elapsed_ms=$((($(date +%s%N) - t0) / 1000000))
say "3 worker pods existed ${elapsed_ms} ms after the patch"
((elapsed_ms <= 1000)) || fail "pods appeared after ${elapsed_ms} ms, more than a second"
wait_until 60 "3 Running workers" workers_running_are "$C" 3

step "scale down by name: exactly the named pod goes, and nothing replaces it"
pods=$(worker_pods "$C")
named=$(echo "$pods" | sed -n 1p)
autoscaler_patch "[{\"op\": \"replace\", \"path\": \"/spec/workerGroupSpecs/0/replicas\", \"value\": 2}, {\"op\": \"replace\", \"path\": \"/spec/workerGroupSpecs/0/scaleStrategy\", \"value\": {\"workersToDelete\": [\"$named\"]}}]"
wait_until 10 "2 workers" workers_are "$C" 2
holds 5 "2 workers and no replacement" workers_are "$C" 2
for p in $(echo "$pods" | tail -n +2); do
  k get pod "$p" -n "$NS" -o name >/dev/null 2>&1 || fail "unnamed pod $p was deleted"
done

step "the autoscaler clears its list (v1 does), as a separate patch"
autoscaler_patch '[{"op": "replace", "path": "/spec/workerGroupSpecs/0/scaleStrategy", "value": {"workersToDelete": []}}]'

step "lowering replicas without naming pods deletes nothing while autoscaling is on"
autoscaler_patch '[{"op": "replace", "path": "/spec/workerGroupSpecs/0/replicas", "value": 1}]'
holds 5 "2 workers" workers_are "$C" 2

step "a name that no longer exists is ignored"
autoscaler_patch "[{\"op\": \"replace\", \"path\": \"/spec/workerGroupSpecs/0/scaleStrategy\", \"value\": {\"workersToDelete\": [\"$named\", \"$C-workers-worker-gone1\"]}}]"
holds 5 "2 workers" workers_are "$C" 2

step "the operator never wrote replicas or scaleStrategy"
assert_eq "$(get raycluster "$C" '{.spec.workerGroupSpecs[0].replicas}')" 1 "replicas as the autoscaler left it"
assert_eq "$(get raycluster "$C" '{.spec.workerGroupSpecs[0].scaleStrategy.workersToDelete[*]}')" \
  "$named $C-workers-worker-gone1" "workersToDelete as the autoscaler left it"
k get raycluster "$C" -n "$NS" -o json | jq -r '.metadata.managedFields[]? | select(.manager | test("ray-operator")) | .fieldsV1 | tostring' \
  | quiet_grep 'replicas\|scaleStrategy' && fail "the operator's managed fields include replicas or scaleStrategy"
true
