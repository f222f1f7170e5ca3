#!/usr/bin/env bash
# /healthz answers as soon as the process runs; /readyz stays "not ready" until the watches have
# synced (here: until the operator's ServiceAccount is granted what it needs); /metrics shows
# the API and reconcile counters moving during a scale, and KubeRay's cluster metrics.
. "$(dirname "$0")/lib.sh"
new_namespace
C=metered

step "an operator in-cluster, as a ServiceAccount that may not yet read anything"
k create serviceaccount op -n "$NS" >/dev/null
metrics_port=$(free_port)
health_port=$(free_port)
env_assignments=$(in_cluster_env op)
# shellcheck disable=SC2086
env $env_assignments "$E2E_BUILD_DIR/app/ray-operator" --namespaces "$NS" --log-level debug \
  --metrics-addr "127.0.0.1:$metrics_port" --health-addr "127.0.0.1:$health_port" \
  >>"$E2E_LOGS/$E2E_CASE-operator.log" 2>&1 &
OP_PID=$!
code() { curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$1$2"; }
scrape() { curl -s "http://127.0.0.1:$metrics_port/metrics"; }
metric() { scrape | awk -v m="$1" 'index($0, m) == 1 { v = $NF } END { print v + 0 }'; }

step "/healthz is up, /readyz is not ready before the watches sync"
wait_until 30 "/healthz 200" bash -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$health_port/healthz)\" = 200 ]"
holds 3 "/readyz 503" bash -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$health_port/readyz)\" = 503 ]"
curl -s "http://127.0.0.1:$health_port/readyz" | quiet_grep "not synced" || fail "/readyz does not say why"

step "granting the operator's permissions lets the watches sync"
k apply -n "$NS" -f - >/dev/null <<YAML
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: op}
rules:
- apiGroups: [ray.io]
  resources: [rayclusters]
  verbs: [get, list, watch, patch]
- apiGroups: [ray.io]
  resources: [rayclusters/status]
  verbs: [get, patch, update]
- apiGroups: [""]
  resources: [pods]
  verbs: [get, list, watch, create, delete, patch]
- apiGroups: [""]
  resources: [pods/resize]
  verbs: [patch]
- apiGroups: [""]
  resources: [services, serviceaccounts]
  verbs: [get, list, watch, create, patch]
- apiGroups: [""]
  resources: [events]
  verbs: [create, patch]
- apiGroups: [apps]
  resources: [statefulsets, deployments]
  verbs: [get, list, watch, create, patch, delete]
- apiGroups: [autoscaling]
  resources: [horizontalpodautoscalers]
  verbs: [get, list, watch, create, patch, delete]
- apiGroups: [rbac.authorization.k8s.io]
  resources: [roles, rolebindings]
  verbs: [get, list, watch, create, patch]
- apiGroups: [""]
  resources: [persistentvolumeclaims, secrets]
  verbs: [get, list, watch, create]
- apiGroups: [networking.k8s.io]
  resources: [ingresses, networkpolicies]
  verbs: [get, list, watch, create, patch, delete]
- apiGroups: [cert-manager.io]
  resources: [issuers, certificates]
  verbs: [get, list, watch, create, patch, delete]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: op}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: op}
subjects: [{kind: ServiceAccount, name: op, namespace: $NS}]
YAML
wait_until 90 "/readyz 200" bash -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$health_port/readyz)\" = 200 ]"

step "a cluster, then a scale, with the counters moving"
apply_cluster "$C" 1 false 0 5
ready_cluster "$C"
creates_before=$(metric 'ray_operator_api_requests_total{code="201",verb="create"}')
reconciles_before=$(metric 'ray_operator_reconciles_total{result="success"}')
k patch raycluster "$C" -n "$NS" --type=json -p '[{"op":"replace","path":"/spec/workerGroupSpecs/0/replicas","value":3}]' >/dev/null
wait_until 30 "3 workers" workers_are "$C" 3
ready_cluster "$C"
creates_after=$(metric 'ray_operator_api_requests_total{code="201",verb="create"}')
reconciles_after=$(metric 'ray_operator_reconciles_total{result="success"}')
say "pod creates counted: $creates_before -> $creates_after; reconciles: $reconciles_before -> $reconciles_after"
((creates_after >= creates_before + 2)) || fail "creates did not move by 2: $creates_before -> $creates_after"
((reconciles_after > reconciles_before)) || fail "reconciles did not move"

step "KubeRay's cluster metrics and the managed counts"
scrape | quiet_grep "kuberay_cluster_info{.*name=\"$C\"" || fail "no kuberay_cluster_info for $C"
scrape | quiet_grep "kuberay_cluster_condition_provisioned{condition=\"true\".*name=\"$C\"" || fail "no provisioned=true for $C"
scrape | quiet_grep "kuberay_cluster_provisioned_duration_seconds{.*name=\"$C\"" || fail "no provisioned duration for $C"
(($(metric 'ray_operator_rayclusters_managed') == 1)) || fail "rayclusters_managed is not 1"
(($(metric 'ray_operator_pods_managed') == 4)) || fail "pods_managed is not 4: $(metric ray_operator_pods_managed)"
(($(metric 'ray_operator_leader') == 1)) || fail "leader is not 1"

step "the process's own figures, and every series the chart's Grafana dashboard shows"
rss=$(scrape | awk '$1 == "process_resident_memory_bytes" { printf "%d", $2 }')
rss_proc=$(($(awk '/^VmRSS/ { print $2 }' "/proc/$OP_PID/status") * 1024))
say "process_resident_memory_bytes $rss, /proc says $rss_proc"
((rss > rss_proc / 2 && rss < rss_proc * 2)) || fail "process_resident_memory_bytes $rss is far from /proc's $rss_proc"
cpu=$(metric 'process_cpu_seconds_total')
awk -v c="$cpu" 'BEGIN { exit !(c > 0) }' || fail "process_cpu_seconds_total is $cpu"
scrape | quiet_grep '^ray_operator_reconcile_duration_seconds_count [1-9]' || fail "no reconcile latency observed"
dashboard=$E2E_REPO/charts/ray-operator/dashboards/ray-operator.json
names=$(jq -r '.panels[].targets[].expr' "$dashboard" | grep -o '\b\(ray_operator\|kuberay\|process\)_[a-z_]*' | sort -u)
[ -n "$names" ] || fail "no series found in $dashboard"
for name in $names; do
  scrape | quiet_grep "^$name[{ ]" || fail "the dashboard shows $name, which /metrics does not serve"
done
say "the dashboard's $(wc -w <<<"$names") series are all served"
