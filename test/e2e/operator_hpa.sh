#!/usr/bin/env bash
# A Deployment worker group with a horizontalPodAutoscaler block: the operator makes HPA C-GROUP
# in the version the server serves (chosen through discovery), the real HPA controller of the
# sandbox's kube-controller-manager scales the Deployment through it, and the operator never
# undoes the HPA's replicas, while it does undo a `kubectl scale` on a group it scales itself.
# Removing the block removes the HPA and gives the replicas back to the spec. Each invalid
# combination (an HPA on a Pod group or with in-tree autoscaling, in-tree autoscaling on a
# Deployment, claims without a StatefulSet, a restartPolicy a controller refuses) is named in one
# Warning, and the cluster gets nothing.
. "$(dirname "$0")/lib.sh"
new_namespace
start_operator
C=hpa

k apply -n "$NS" -f - >/dev/null <<YAML
apiVersion: ray.io/v1
kind: RayCluster
metadata: {name: $C}
spec:
  rayVersion: "2.9.0"
  headGroupSpec:
    rayStartParams: {}
  workerGroupSpecs:
  - groupName: auto
    workloadKind: Deployment
    replicas: 2
    minReplicas: 1
    maxReplicas: 4
    rayStartParams: {}
    horizontalPodAutoscaler:
      metrics:
      - type: Resource
        resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}
      behavior:
        scaleDown: {stabilizationWindowSeconds: 30}
    template:
      spec:
        containers: [{name: ray-worker, image: "rayproject/ray:2.9.0"}]
  - groupName: fixed
    workloadKind: Deployment
    replicas: 1
    rayStartParams: {}
    template:
      spec:
        containers: [{name: ray-worker, image: "rayproject/ray:2.9.0"}]
YAML

step "the HPA in the version the server serves, aimed at the group's Deployment"
if k api-versions | quiet_grep -x autoscaling/v2; then version=v2; else version=v2beta2; fi
say "the server serves autoscaling/$version"
ready_cluster "$C" 120
hpa_json() { k get --raw "/apis/autoscaling/$version/namespaces/$NS/horizontalpodautoscalers/$C-auto"; }
hpa=$(hpa_json) || fail "no HorizontalPodAutoscaler $C-auto"
assert_eq "$(jq -r '.spec.scaleTargetRef | "\(.apiVersion) \(.kind) \(.name)"' <<<"$hpa")" \
  "apps/v1 Deployment $C-auto" "the HPA's target"
assert_eq "$(jq -r '"\(.spec.minReplicas) \(.spec.maxReplicas)"' <<<"$hpa")" "1 4" "the HPA's bounds"
assert_eq "$(jq -r '.spec.metrics[0].resource.target.averageUtilization' <<<"$hpa")" 50 "the HPA's metric"
assert_eq "$(jq -r '.spec.behavior.scaleDown.stabilizationWindowSeconds' <<<"$hpa")" 30 "the HPA's behavior"
assert_eq "$(jq -r '.metadata.ownerReferences[0].kind' <<<"$hpa")" RayCluster "the HPA's owner"
written_as=$(jq -r '[.metadata.managedFields[] | select(.manager | startswith("ray-operator"))][0].apiVersion' <<<"$hpa")
assert_eq "$written_as" "autoscaling/$version" "the version the operator wrote the HPA in"
k get hpa -n "$NS" -o name | quiet_grep -x "horizontalpodautoscaler.autoscaling/$C-fixed" &&
  fail "a group without the block got an HPA"
assert_eq "$(get deployment $C-auto '{.spec.replicas}')" 2 "the Deployment's first replicas"

step "the HPA controller brings the Deployment within its bounds; the operator leaves it there"
k scale deployment "$C-auto" -n "$NS" --replicas=6 >/dev/null
at() { [ "$(get deployment $C-auto '{.spec.replicas}')" = "$1" ]; }
wait_until 90 "the HPA controller scaling $C-auto down to its maxReplicas 4" at 4
desired_is() { [ "$(get raycluster "$C" '{.status.workerGroups[?(@.groupName=="auto")].desiredReplicas}')" = "$1" ]; }
wait_until 60 "status wanting the HPA's 4 workers" desired_is 4
ready_cluster "$C" 60
holds 5 "the HPA's 4 replicas" at 4

step "an HPA-style change of the scale subresource is not reverted"
k scale deployment "$C-auto" -n "$NS" --replicas=3 >/dev/null
wait_until 60 "status wanting the HPA's 3 workers" desired_is 3
# A user's change makes the operator reconcile the cluster at once: it still leaves them.
k label raycluster "$C" -n "$NS" touched=yes >/dev/null
holds 5 "the HPA's 3 replicas" at 3
wait_until 60 "3 ready workers in group auto" bash -c \
  "[ \"\$(kubectl get raycluster $C -n $NS -o jsonpath='{.status.workerGroups[?(@.groupName==\"auto\")].readyReplicas}')\" = 3 ]"

step "kubectl scale on a group the operator scales is undone"
k scale deployment "$C-fixed" -n "$NS" --replicas=3 >/dev/null
fixed_at() { [ "$(get deployment $C-fixed '{.spec.replicas}')" = "$1" ]; }
wait_until 30 "the operator setting $C-fixed back to 1" fixed_at 1

step "the block removed: the HPA goes and the spec's replicas are the operator's again"
k patch raycluster "$C" -n "$NS" --type=json \
  -p '[{"op":"remove","path":"/spec/workerGroupSpecs/0/horizontalPodAutoscaler"}]' >/dev/null
hpa_gone() { ! hpa_json >/dev/null 2>&1; }
wait_until 60 "the HPA $C-auto deleted" hpa_gone
wait_until 60 "$C-auto back at the spec's 2 replicas" at 2
ready_cluster "$C" 60

step "each invalid combination of kinds, autoscalers and claims is refused, and creates nothing"
k apply -n "$NS" -f - >/dev/null <<YAML
apiVersion: ray.io/v1
kind: RayCluster
metadata: {name: bad}
spec:
  enableInTreeAutoscaling: true
  headGroupSpec:
    rayStartParams: {}
    template:
      spec:
        containers: [{name: ray-head, image: "rayproject/ray:2.9.0"}]
  workerGroupSpecs:
  - groupName: pods
    replicas: 1
    rayStartParams: {}
    horizontalPodAutoscaler: {}
    template:
      spec:
        containers: [{name: ray-worker, image: "rayproject/ray:2.9.0"}]
  - groupName: dep
    workloadKind: Deployment
    replicas: 1
    rayStartParams: {}
    volumeClaimTemplates: [{metadata: {name: spill}, spec: {accessModes: [ReadWriteOnce]}}]
    template:
      spec:
        restartPolicy: Never
        containers: [{name: ray-worker, image: "rayproject/ray:2.9.0"}]
YAML
refusal() {
  k get events -n "$NS" --field-selector reason=InvalidRayClusterSpec,involvedObject.name=bad \
    -o jsonpath='{.items[*].message}'
}
wait_until 30 "a Warning InvalidRayClusterSpec" bash -c "[ -n \"\$(kubectl get events -n $NS --field-selector reason=InvalidRayClusterSpec,involvedObject.name=bad -o name)\" ]"
message=$(refusal)
say "$message"
for expected in \
  'workerGroupSpecs[0].horizontalPodAutoscaler: needs workloadKind Deployment or StatefulSet' \
  'workerGroupSpecs[0].horizontalPodAutoscaler: cannot be used with enableInTreeAutoscaling' \
  'workerGroupSpecs[1].workloadKind: is Deployment: in-tree autoscaling needs workloadKind Pod' \
  'workerGroupSpecs[1].template.spec.restartPolicy: "Never" is not allowed with workloadKind Deployment' \
  'workerGroupSpecs[1].volumeClaimTemplates: needs workloadKind StatefulSet'; do
  quiet_grep -F "$expected" <<<"$message" || fail "the refusal does not say: $expected"
done
wait_until 30 "SpecValid False" cluster_condition_is bad SpecValid False
assert_eq "$(k get pods,services,statefulsets,deployments,hpa -n "$NS" -l ray.io/cluster=bad -o name | wc -l)" 0 \
  "objects of the refused cluster"
