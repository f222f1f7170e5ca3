#!/usr/bin/env bash
# GCS fault tolerance on rocksdb (examples/raycluster-gcs-ft-rocksdb.yaml): the operator makes the
# head's claim C-gcs-pvc and mounts it at /data/gcs with KubeRay's env; deletionPolicy Retain
# makes it with no owner, so it outlives its cluster; storage.claimName mounts the user's own and
# makes none. No Redis finalizer, nothing left unsaid.
. "$(dirname "$0")/lib.sh"
new_namespace
start_operator
C=ft-rocksdb
sts_volume() { k get statefulset "$1-head" -n "$NS" -o json | jq -c '.spec.template.spec.volumes[] | select(.name == "gcs-storage")'; }
sts_mount() { k get statefulset "$1-head" -n "$NS" -o json | jq -c '.spec.template.spec.containers[0].volumeMounts[] | select(.name == "gcs-storage")'; }

step "the example becomes Ready with its claim, mounted at /data/gcs"
k apply -n "$NS" -f "$(dirname "$0")/../../examples/raycluster-gcs-ft-rocksdb.yaml" >/dev/null
ready_cluster "$C"
uid=$(get raycluster "$C" '{.metadata.uid}')
assert_eq "$(get pvc "$C-gcs-pvc" '{.spec.resources.requests.storage}')" 2Gi "the claim's size"
assert_eq "$(get pvc "$C-gcs-pvc" '{.spec.accessModes}')" '["ReadWriteOnce"]' "the claim's access modes"
assert_eq "$(get pvc "$C-gcs-pvc" '{.metadata.ownerReferences[0].uid}')" "$uid" "the claim's owner"
assert_eq "$(sts_volume "$C")" "{\"name\":\"gcs-storage\",\"persistentVolumeClaim\":{\"claimName\":\"$C-gcs-pvc\"}}" "the head's volume"
assert_eq "$(sts_mount "$C")" '{"mountPath":"/data/gcs","name":"gcs-storage"}' "the head's mount"
assert_eq "$(k get pod "$C-head-0" -n "$NS" -o json | jq -r '.spec.containers[0].env[] | select(.name == "RAY_gcs_storage") | .value')" \
  rocksdb "RAY_gcs_storage"
assert_eq "$(get raycluster "$C" '{.metadata.finalizers}')" "" "finalizers (no Redis to clean)"
assert_eq "$(k get events -n "$NS" --field-selector reason=UnsupportedField -o json | jq '.items | length')" 0 \
  "UnsupportedField Warnings"

step "deletionPolicy Retain: a claim with no owner; claimName: the user's own claim, none made"
cat <<YAML | k apply -n "$NS" -f - >/dev/null
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: my-gcs}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
---
apiVersion: ray.io/v1
kind: RayCluster
metadata: {name: kept}
spec:
  rayVersion: "2.57.0"
  gcsFaultToleranceOptions: {backend: rocksdb, storage: {deletionPolicy: Retain}}
  headGroupSpec: {rayStartParams: {}}
---
apiVersion: ray.io/v1
kind: RayCluster
metadata: {name: own}
spec:
  rayVersion: "2.57.0"
  gcsFaultToleranceOptions: {backend: rocksdb, storage: {claimName: my-gcs, subPath: gcs}}
  headGroupSpec: {rayStartParams: {}}
YAML
ready_cluster kept
ready_cluster own
assert_eq "$(get pvc kept-gcs-pvc '{.spec.resources.requests.storage}')" 1Gi "kept's claim size (the default)"
assert_eq "$(get pvc kept-gcs-pvc '{.metadata.ownerReferences}')" "" "kept's claim's owners"
assert_eq "$(k get pvc -n "$NS" -l ray.io/cluster=own -o name)" "" "claims made for own"
assert_eq "$(sts_volume own | jq -r .persistentVolumeClaim.claimName)" my-gcs "own's head volume"
assert_eq "$(sts_mount own | jq -r .subPath)" gcs "own's mount subPath"

step "deleting the clusters: the owned claim goes with its cluster, Retain's and the user's stay"
k delete raycluster "$C" kept own -n "$NS" --wait=false >/dev/null
pvc_gone() { ! k get pvc "$1" -n "$NS" >/dev/null 2>&1; }
wait_until 60 "$C-gcs-pvc garbage-collected" pvc_gone "$C-gcs-pvc"
sts_gone() { ! k get statefulset kept-head -n "$NS" >/dev/null 2>&1; }
wait_until 60 "kept's head StatefulSet garbage-collected" sts_gone
k get pvc kept-gcs-pvc -n "$NS" >/dev/null || fail "kept-gcs-pvc went with its cluster despite Retain"
k get pvc my-gcs -n "$NS" >/dev/null || fail "the user's claim my-gcs went"
