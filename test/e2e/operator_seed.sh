#!/usr/bin/env bash
# The seed's YAML, applied as-is (ray.io/v1alpha1), becomes a running cluster: the head
# StatefulSet and its pod, both Services, the workers, the autoscaler sidecar and its RBAC;
# Ready is reported; `kubectl get rayclusters` shows KubeRay's columns; Events name each create.
# A full ray.io/v1 manifest in KubeRay's style works too.
. "$(dirname "$0")/lib.sh"
new_namespace
start_operator

step "apply the seed's YAML as-is"
k apply -n "$NS" -f "$E2E_REPO/examples/raycluster-seed.yaml" >/dev/null
C=basic-ray-cluster

step "the head StatefulSet and its pod Running"
wait_until 60 "StatefulSet $C-head" k get statefulset "$C-head" -n "$NS"
wait_until 90 "pod $C-head-0 Running" bash -c "[ \"\$(kubectl get pod $C-head-0 -n $NS -o jsonpath='{.status.phase}' 2>/dev/null)\" = Running ]"

step "the head Service: ClusterIP with the five ports"
assert_eq "$(get service "$C-head-svc" '{.spec.type}')" ClusterIP "head service type"
[ "$(get service "$C-head-svc" '{.spec.clusterIP}')" != None ] || fail "the head service is headless"
assert_eq "$(get service "$C-head-svc" '{range .spec.ports[*]}{.name}={.port} {end}' | tr ' ' '\n' | sort | xargs)" \
  "client=10001 dashboard=8265 gcs-server=6379 metrics=8080 serve=8000" "head service ports"

step "the headless worker Service"
assert_eq "$(get service "$C-workers" '{.spec.clusterIP}')" None "workers service clusterIP"
assert_eq "$(get service "$C-workers" '{.spec.publishNotReadyAddresses}')" true "publishNotReadyAddresses"

step "2 small-worker pods Running"
wait_until 90 "2 Running workers" workers_running_are "$C" 2
for p in $(worker_pods "$C"); do
  case $p in "$C-small-worker-worker-"*) ;; *) fail "unexpected worker name $p" ;; esac
  assert_eq "$(get pod "$p" '{.metadata.labels.ray\.io/group}')" small-worker "$p group label"
  assert_eq "$(get pod "$p" '{.metadata.ownerReferences[0].kind}')" RayCluster "$p owner"
done

step "the autoscaler sidecar, ServiceAccount, Role and RoleBinding"
get pod "$C-head-0" '{.spec.containers[*].name}' | quiet_grep -w autoscaler || fail "no autoscaler container"
assert_eq "$(get pod "$C-head-0" '{.spec.serviceAccountName}')" "$C" "head serviceAccountName"
k get serviceaccount "$C" -n "$NS" >/dev/null || fail "no ServiceAccount"
k get role "$C" -n "$NS" >/dev/null || fail "no Role"
k get rolebinding "$C" -n "$NS" >/dev/null || fail "no RoleBinding"

step "kubectl wait --for=condition=Ready"
k wait --for=condition=Ready "raycluster/$C" -n "$NS" --timeout=120s >/dev/null || fail "not Ready"
assert_eq "$(get raycluster "$C" '{.status.state}')" ready "state"

step "kubectl get rayclusters shows KubeRay's columns"
header=$(k get rayclusters -n "$NS" | sed -n 1p)
for col in "DESIRED WORKERS" "AVAILABLE WORKERS" CPUS MEMORY GPUS STATUS AGE; do
  echo "$header" | quiet_grep "$col" || fail "column $col missing in: $header"
done
k get rayclusters -n "$NS" | grep "$C" | quiet_grep ready || fail "status column not ready"
k get rayclusters -n "$NS" -o wide | sed -n 1p | quiet_grep "HEAD POD IP" || fail "no head pod IP with -o wide"

step "the stored object carries the defaults the autoscaler reads"
assert_eq "$(get raycluster "$C" '{.spec.headGroupSpec.template.spec.containers[0].name}')" ray-head "head container"
assert_eq "$(get raycluster "$C" '{.spec.workerGroupSpecs[0].replicas}')" 2 "replicas kept"

step "Events for the creates, in kubectl describe"
desc=$(k describe raycluster "$C" -n "$NS")
for reason in CreatedService CreatedStatefulSet CreatedWorkerPod CreatedServiceAccount CreatedRole CreatedRoleBinding; do
  echo "$desc" | quiet_grep "$reason" || fail "no $reason event"
done

step "a full ray.io/v1 manifest in KubeRay's style"
k apply -n "$NS" -f "$E2E_REPO/examples/raycluster-v1-full.yaml" >/dev/null
full=$(k get -n "$NS" -f "$E2E_REPO/examples/raycluster-v1-full.yaml" -o jsonpath='{.metadata.name}')
ready_cluster "$full" 120
