#!/usr/bin/env bash
# The sandbox serves the API as a real cluster does: namespaces, a CRD that becomes
# Established, a custom resource defaulted by its schema, and its /status subresource.
. "$(dirname "$0")/lib.sh"
new_namespace

step "namespaces are listed"
k get namespaces -o name | quiet_grep -x "namespace/$NS" || fail "namespace $NS not listed"
k get namespaces -o name | quiet_grep -x "namespace/kube-system" || fail "kube-system not listed"

step "the RayCluster CRD is Established"
assert_eq "$(k get crd rayclusters.ray.io -o 'jsonpath={.status.conditions[?(@.type=="Established")].status}')" True "Established"

step "a custom resource is created and defaulted by the schema"
k apply -n "$NS" -f - >/dev/null <<YAML
apiVersion: ray.io/v1
kind: RayCluster
metadata: {name: schema-defaults}
spec:
  workerGroupSpecs:
  - groupName: g
YAML
assert_eq "$(get raycluster schema-defaults '{.spec.workerGroupSpecs[0].replicas}')" 0 "replicas default"
assert_eq "$(get raycluster schema-defaults '{.spec.workerGroupSpecs[0].maxReplicas}')" 2147483647 "maxReplicas default"

step "its /status is patched through the subresource"
k patch raycluster schema-defaults -n "$NS" --subresource=status --type=merge \
  -p '{"status":{"state":"ready","desiredWorkerReplicas":3}}' >/dev/null
assert_eq "$(get raycluster schema-defaults '{.status.state}')" ready "status.state"
assert_eq "$(get raycluster schema-defaults '{.status.desiredWorkerReplicas}')" 3 "status.desiredWorkerReplicas"

step "a status sent with the main resource is ignored"
k patch raycluster schema-defaults -n "$NS" --type=merge -p '{"status":{"state":"suspended"}}' >/dev/null
assert_eq "$(get raycluster schema-defaults '{.status.state}')" ready "status.state after a main-resource patch"
