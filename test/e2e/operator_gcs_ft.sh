#!/usr/bin/env bash
# GCS fault tolerance on Redis (examples/raycluster-gcs-ft-redis.yaml): the head pod gets
# KubeRay's env (the Redis address, the password from its Secret, the storage namespace), flag
# and annotations, the workers the longer reconnect timeout; the RayCluster the Redis cleanup's
# finalizer (operator_gcs_ft_redis_cleanup.sh deletes one); and a deleted head comes back as the same StatefulSet pod while
# the workers keep running — the same pods, the same uids.
. "$(dirname "$0")/lib.sh"
new_namespace
start_operator
C=ft-redis
head_env() { k get pod "$C-head-0" -n "$NS" -o json | jq -c --arg n "$1" '.spec.containers[0].env[] | select(.name == $n)'; }

step "a RayCluster with gcsFaultToleranceOptions becomes Ready"
k apply -n "$NS" -f "$(dirname "$0")/../../examples/raycluster-gcs-ft-redis.yaml" >/dev/null
ready_cluster "$C"
uid=$(get raycluster "$C" '{.metadata.uid}')

step "the head's env, flag and annotations are KubeRay's"
assert_eq "$(head_env RAY_REDIS_ADDRESS | jq -r .value)" "redis://redis.default.svc.cluster.local:6379" "RAY_REDIS_ADDRESS"
assert_eq "$(head_env REDIS_PASSWORD | jq -r .valueFrom.secretKeyRef.name)" redis-password-secret "REDIS_PASSWORD's Secret"
assert_eq "$(head_env RAY_external_storage_namespace | jq -r .value)" "$uid" "the storage namespace (the RayCluster's uid)"
assert_eq "$(get pod "$C-head-0" '{.metadata.annotations.ray\.io/ft-enabled}')" true "ray.io/ft-enabled"
assert_eq "$(get pod "$C-head-0" '{.metadata.annotations.ray\.io/external-storage-namespace}')" "$uid" \
  "ray.io/external-storage-namespace"
get pod "$C-head-0" '{.spec.containers[0].args[0]}' | quiet_grep -F -- '--redis-password=$REDIS_PASSWORD' ||
  fail "the head's ray start lacks --redis-password=\$REDIS_PASSWORD"
for w in $(worker_pods "$C"); do
  assert_eq "$(k get pod "$w" -n "$NS" -o json | jq -r '.spec.containers[0].env[] | select(.name == "RAY_gcs_rpc_server_reconnect_timeout_s") | .value')" \
    600 "worker $w's reconnect timeout"
done

step "the RayCluster carries the Redis cleanup finalizer, and nothing is left unsaid"
get raycluster "$C" '{.metadata.finalizers}' | quiet_grep -F ray.io/gcs-ft-redis-cleanup-finalizer ||
  fail "no ray.io/gcs-ft-redis-cleanup-finalizer on $C"
assert_eq "$(k get events -n "$NS" --field-selector reason=UnsupportedField -o json | jq '.items | length')" 0 \
  "UnsupportedField Warnings"

step "a deleted head comes back as the same StatefulSet pod; the workers stay"
workers_before=$(k get pods -n "$NS" -l "ray.io/cluster=$C,ray.io/node-type=worker" -o 'jsonpath={.items[*].metadata.uid}')
head_uid=$(get pod "$C-head-0" '{.metadata.uid}')
k delete pod "$C-head-0" -n "$NS" --wait=false >/dev/null
new_head() { [ -n "$(get pod "$C-head-0" '{.metadata.uid}' 2>/dev/null)" ] && [ "$(get pod "$C-head-0" '{.metadata.uid}')" != "$head_uid" ]; }
wait_until 60 "a new $C-head-0" new_head
ready_cluster "$C"
assert_eq "$(k get pods -n "$NS" -l "ray.io/cluster=$C,ray.io/node-type=worker" -o 'jsonpath={.items[*].metadata.uid}')" \
  "$workers_before" "the workers' uids after the head's restart"
assert_eq "$(head_env RAY_external_storage_namespace | jq -r .value)" "$uid" "the new head's storage namespace"
