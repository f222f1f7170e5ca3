#!/usr/bin/env bash
# Worker groups run by Kubernetes' own controllers: a Deployment group (created, scaled, rolled
# by the Deployment controller within its budget) and a StatefulSet group (stable names, the
# workers Service, per-worker claims that survive a pod's deletion), both counted in status like
# the operator's own pods. A kind changed on a group with pods is refused and changes nothing;
# an operator that derives pods differently does not roll either workload; a group removed
# from the spec takes its workload with it.
. "$(dirname "$0")/lib.sh"
new_namespace
start_operator
C=kinds

k apply -n "$NS" -f - >/dev/null <<YAML
apiVersion: ray.io/v1
kind: RayCluster
metadata: {name: $C}
spec:
  rayVersion: "2.9.0"
  headGroupSpec:
    rayStartParams: {}
  workerGroupSpecs:
  - groupName: dep
    workloadKind: Deployment
    replicas: 2
    maxReplicas: 5
    rayStartParams: {}
    upgradeStrategy: {type: RollingUpdate, rollingUpdate: {maxUnavailable: 0, maxSurge: 1}}
    template:
      spec:
        containers: [{name: ray-worker, image: "rayproject/ray:2.9.0"}]
  - groupName: sts
    workloadKind: StatefulSet
    replicas: 2
    maxReplicas: 5
    rayStartParams: {}
    template:
      spec:
        containers:
        - name: ray-worker
          image: "rayproject/ray:2.9.0"
          volumeMounts: [{name: spill, mountPath: /tmp/spill}]
    volumeClaimTemplates:
    - metadata: {name: spill}
      spec:
        accessModes: [ReadWriteOnce]
        resources: {requests: {storage: 1Gi}}
YAML

step "a Deployment and a StatefulSet, their pods counted like any workers"
ready_cluster "$C" 120
assert_eq "$(get raycluster "$C" '{.status.desiredWorkerReplicas}')" 4 "desiredWorkerReplicas"
assert_eq "$(get raycluster "$C" '{.status.readyWorkerReplicas}')" 4 "readyWorkerReplicas"
assert_eq "$(get deployment $C-dep '{.spec.replicas}')" 2 "the Deployment's replicas"
assert_eq "$(get deployment $C-dep '{.metadata.ownerReferences[0].kind}')" RayCluster "the Deployment's owner"
assert_eq "$(get statefulset $C-sts '{.spec.serviceName}')" "$C-workers" "the StatefulSet's serviceName"
assert_eq "$(get statefulset $C-sts '{.spec.podManagementPolicy}')" Parallel "podManagementPolicy"
for i in 0 1; do
  k get pod "$C-sts-$i" -n "$NS" >/dev/null || fail "no pod $C-sts-$i"
  k get pvc "spill-$C-sts-$i" -n "$NS" >/dev/null || fail "no claim spill-$C-sts-$i"
done
assert_eq "$(get pvc "spill-$C-sts-0" '{.spec.resources.requests.storage}')" 1Gi "the claim's size"

step "a StatefulSet pod deleted comes back under its name, with its claim"
claim=$(get pvc "spill-$C-sts-0" '{.metadata.uid}')
old=$(get pod "$C-sts-0" '{.metadata.uid}')
k delete pod "$C-sts-0" -n "$NS" --wait=false >/dev/null
back() { local uid; uid=$(get pod "$C-sts-0" '{.metadata.uid}') && [ -n "$uid" ] && [ "$uid" != "$old" ]; }
wait_until 60 "$C-sts-0 again" back
assert_eq "$(get pvc "spill-$C-sts-0" '{.metadata.uid}')" "$claim" "the claim of $C-sts-0"

step "scaled through the RayCluster"
k patch raycluster "$C" -n "$NS" --type=json -p '[{"op":"replace","path":"/spec/workerGroupSpecs/0/replicas","value":3}]' >/dev/null
replicas_are() { [ "$(get deployment $C-dep '{.status.readyReplicas}')" = "$1" ]; }
wait_until 60 "3 ready Deployment pods" replicas_are 3
ready_cluster "$C" 60

step "rolled by the Deployment controller within maxUnavailable 0 and maxSurge 1"
dep_pods() { k get pods -n "$NS" -l "ray.io/cluster=$C,ray.io/group=dep" -o json; }
k patch raycluster "$C" -n "$NS" --type=json -p '[{"op":"replace","path":"/spec/workerGroupSpecs/0/template/spec/containers/0/image","value":"rayproject/ray:2.10.0"}]' >/dev/null
samples=$E2E_LOGS/$E2E_CASE-samples.txt
: >"$samples"
all_new() {
  dep_pods | jq -r '[.items[] | select(.metadata.deletionTimestamp == null)] |
    "\(length) \([.[] | select(any(.status.conditions[]?; .type == "Ready" and .status == "True"))] | length) \([.[] | select(.spec.containers[0].image != "rayproject/ray:2.10.0")] | length)"' \
    | tee -a "$samples" | quiet_grep '^3 3 0$'
}
wait_until 120 "every Deployment pod on 2.10.0 and ready" all_new
too_many=$(awk '$1 > 4 || $2 < 3' "$samples" | head -1)
[ -z "$too_many" ] || fail "the Deployment went out of its budget (pods ready old): $too_many"
wait_until 60 "UpToDate True" cluster_condition_is "$C" UpToDate True

step "a group's kind changed while it has pods: refused, nothing touched"
before=$(k get pods -n "$NS" -l "ray.io/cluster=$C,ray.io/group=dep" -o jsonpath='{.items[*].metadata.uid}')
k patch raycluster "$C" -n "$NS" --type=json -p '[{"op":"replace","path":"/spec/workerGroupSpecs/0/workloadKind","value":"StatefulSet"}]' >/dev/null
refused() { [ "$(get raycluster "$C" '{.status.conditions[?(@.type=="ReplicaFailure")].reason}')" = WorkloadKindChanged ]; }
wait_until 30 "a ReplicaFailure WorkloadKindChanged" refused
k get events -n "$NS" --field-selector reason=WorkloadKindChanged -o name | quiet_grep . || fail "no WorkloadKindChanged Event"
same_pods() { [ "$(k get pods -n "$NS" -l "ray.io/cluster=$C,ray.io/group=dep" -o jsonpath='{.items[*].metadata.uid}')" = "$before" ]; }
holds 5 "the Deployment group's pods" same_pods
k get deployment "$C-dep" -n "$NS" >/dev/null || fail "the Deployment was removed"
k get statefulset "$C-dep" -n "$NS" >/dev/null 2>&1 && fail "a StatefulSet was made for the refused kind"
k patch raycluster "$C" -n "$NS" --type=json -p '[{"op":"replace","path":"/spec/workerGroupSpecs/0/workloadKind","value":"Deployment"}]' >/dev/null
cleared() { [ -z "$(get raycluster "$C" '{.status.conditions[?(@.type=="ReplicaFailure")].reason}')" ]; }
wait_until 30 "the refusal to clear" cleared

step "an operator that derives pods differently rolls neither workload"
generations="$(get deployment $C-dep '{.metadata.generation}') $(get statefulset $C-sts '{.metadata.generation}')"
stop_operator
start_operator --fault-injection --test-pod-env RAY_OPERATOR_TEST_DEFAULT=1
has_env() { k get statefulset "$C-head" -n "$NS" -o json | jq -e '.spec.template.spec.containers[0].env[]? | select(.name == "RAY_OPERATOR_TEST_DEFAULT")' >/dev/null; }
wait_until 60 "the new operator at work (its head template)" has_env
unrolled() { [ "$(get deployment $C-dep '{.metadata.generation}') $(get statefulset $C-sts '{.metadata.generation}')" = "$generations" ]; }
holds 5 "the workloads' generations" unrolled

step "a group removed from the spec: its StatefulSet goes, its claims stay"
k patch raycluster "$C" -n "$NS" --type=json -p '[{"op":"remove","path":"/spec/workerGroupSpecs/1"}]' >/dev/null
sts_gone() { ! k get statefulset "$C-sts" -n "$NS" >/dev/null 2>&1; }
wait_until 60 "the StatefulSet $C-sts deleted" sts_gone
k get pvc "spill-$C-sts-0" -n "$NS" >/dev/null || fail "the claim spill-$C-sts-0 went with its group"
k get deployment "$C-dep" -n "$NS" >/dev/null || fail "the other group's Deployment went too"
