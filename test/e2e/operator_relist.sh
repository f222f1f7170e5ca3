#!/usr/bin/env bash
# A 410 on real watches: the operator loses the API server while a pod and a Service are
# deleted and etcd compacts its history, so every watch it resumes is answered 410 Gone. It
# relists, replaces what went, and converges — with no per-cluster LIST (the stores seed and
# resync the clusters) and no create that ends in 409 (the stores cover every child kind).
E2E_INSTANCE=${E2E_INSTANCE:-e2e}-nocache
. "$(dirname "$0")/lib.sh"
new_namespace
start_proxy
METRICS_PORT=$(free_port)
OPERATOR_HTTP_ARGS="--metrics-addr 127.0.0.1:$METRICS_PORT --health-addr=0"
KUBECONFIG=$PROXY_KUBECONFIG start_operator
N=50
# RayClusters and the twelve child kinds, in one namespace; cert-manager's two when it is served.
watches=13
if k get crd certificates.cert-manager.io >/dev/null 2>&1; then watches=15; fi

step "$N clusters, half with in-tree autoscaling (RBAC children)"
for i in $(seq 1 "$N"); do
  autoscaling=false
  ((i % 2 == 0)) && autoscaling=true
  cat <<YAML
apiVersion: ray.io/v1
kind: RayCluster
metadata: {name: c$i}
spec:
  rayVersion: "2.9.0"
  enableInTreeAutoscaling: $autoscaling
  headGroupSpec:
    rayStartParams: {}
    template:
      spec:
        containers: [{name: ray-head, resources: {limits: {cpu: 100m, memory: 256Mi}}}]
  workerGroupSpecs:
  - groupName: workers
    replicas: 1
    minReplicas: 0
    maxReplicas: 4
    rayStartParams: {}
    template:
      spec:
        containers: [{name: ray-worker, resources: {limits: {cpu: 100m, memory: 256Mi}}}]
---
YAML
done | k apply -n "$NS" -f - >/dev/null
all_ready() { [ "$(ready_clusters)" = "$N" ]; }
wait_until 240 "$N Ready clusters" all_ready
lists_before=$(metric 'ray_operator_api_requests_total{code="200",verb="list"}')
conflicts_before=$(metric 'ray_operator_api_requests_total{code="409",verb="create"}')
relists_before=$(metric 'ray_operator_watch_relists')
victim=$(worker_pods c7 | head -1)

step "cut off from the API server: a pod and a Service go, etcd compacts its history"
proxy /refuse
k delete pod "$victim" -n "$NS" --wait=true >/dev/null
k delete service c9-head-svc -n "$NS" >/dev/null
etcd_port=$(sed -n 's/^ETCD_CLIENT_PORT=//p' "$E2E_STATE/ports")
revision=$(ETCDCTL_API=3 etcdctl --endpoints "http://127.0.0.1:$etcd_port" endpoint status -w json |
  jq '.[0].Status.header.revision')
ETCDCTL_API=3 etcdctl --endpoints "http://127.0.0.1:$etcd_port" compact "$revision" >/dev/null
proxy /accept

step "every watch relists on its 410, and the cluster is whole again"
relisted() { (($(metric ray_operator_watch_relists) >= relists_before + watches)); }
replaced() { workers_are c7 1 && ! worker_pods c7 | quiet_grep -x "$victim"; }
wait_until 120 "the watches to relist" relisted
wait_until 60 "a replacement for $victim" replaced
wait_until 60 "c9-head-svc again" k get service c9-head-svc -n "$NS"
wait_until 60 "$N Ready clusters" all_ready
lists=$(($(metric 'ray_operator_api_requests_total{code="200",verb="list"}') - lists_before))
conflicts=$(($(metric 'ray_operator_api_requests_total{code="409",verb="create"}') - conflicts_before))
say "after the relists: $lists LIST requests ($watches watches), $conflicts creates answered 409"
((lists <= watches)) || fail "$lists LISTs for $watches watches: some cluster listed on its own"
assert_eq "$conflicts" 0 "creates answered 409 AlreadyExists"
quiet_grep "410" "$E2E_LOGS/$E2E_CASE-operator.log" || fail "the operator never logged a 410"
