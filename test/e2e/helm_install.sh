#!/usr/bin/env bash
# The Helm chart: its CRD is the project's, `helm lint` is clean, it renders in each of its
# shapes and the API server accepts the result; `helm install` works, and the RBAC it grants is
# both enough and no more: the operator, run with the installed Deployment's arguments under the
# chart's ServiceAccount token, brings the seed's RayCluster to Ready — once with the ClusterRole
# (every namespace) and once with per-namespace Roles (singleNamespaceInstall) — while
# `kubectl auth can-i` shows everything it does not use is refused.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/helm_lib.sh"

SEED=$E2E_REPO/examples/raycluster-seed.yaml
C=basic-ray-cluster

step "the chart's CRD is a copy of crds/ray.io_rayclusters.yaml"
cmp -s "$E2E_REPO/crds/ray.io_rayclusters.yaml" "$CHART/crds/ray.io_rayclusters.yaml" ||
  fail "charts/ray-operator/crds/ray.io_rayclusters.yaml differs from crds/ray.io_rayclusters.yaml; copy it over"

step "helm lint --strict is clean"
lint=$(helm lint --strict "$CHART" 2>&1) || fail "helm lint failed: $lint"
if grep -E '\[(WARNING|ERROR)\]' <<<"$lint"; then fail "helm lint reports problems"; fi

new_namespace
REL=$(release_name ro)
FULL=$REL-ray-operator
SA=$FULL

step "helm template renders with the defaults"
helm template "$REL" "$CHART" -n "$NS" >"$E2E_TMP/default.yaml" || fail "default rendering"
for kind in ServiceAccount ClusterRole ClusterRoleBinding Role RoleBinding Service Deployment; do
  quiet_grep "^kind: $kind\$" "$E2E_TMP/default.yaml" || fail "no $kind in the default rendering"
done
if quiet_grep '^kind: ServiceMonitor$' "$E2E_TMP/default.yaml"; then fail "a ServiceMonitor by default"; fi
if quiet_grep -- '--namespaces' "$E2E_TMP/default.yaml"; then fail "--namespaces passed by default"; fi

step "helm template renders with singleNamespaceInstall=true,watchNamespaces={a,b}"
helm template "$REL" "$CHART" -n "$NS" --set 'singleNamespaceInstall=true,watchNamespaces={a,b}' \
  >"$E2E_TMP/single.yaml" || fail "single-namespace rendering"
if quiet_grep '^kind: ClusterRole' "$E2E_TMP/single.yaml"; then fail "cluster-scoped RBAC in a single-namespace install"; fi
assert_eq "$(grep -c '^kind: Role$' "$E2E_TMP/single.yaml")" 3 "Roles (a, b, leader election)"
assert_eq "$(grep -c '^kind: RoleBinding$' "$E2E_TMP/single.yaml")" 3 "RoleBindings"
quiet_grep -- '- --namespaces=a,b$' "$E2E_TMP/single.yaml" || fail "no --namespaces=a,b"

step "helm template renders with metrics.serviceMonitor.enabled=true"
helm template "$REL" "$CHART" -n "$NS" --set metrics.serviceMonitor.enabled=true \
  >"$E2E_TMP/monitor.yaml" || fail "ServiceMonitor rendering"
quiet_grep '^kind: ServiceMonitor$' "$E2E_TMP/monitor.yaml" || fail "no ServiceMonitor"
quiet_grep 'port: metrics$' "$E2E_TMP/monitor.yaml" || fail "the ServiceMonitor does not scrape port metrics"

step "helm template renders the Grafana dashboard only when asked, as valid JSON"
if quiet_grep 'grafana_dashboard' "$E2E_TMP/default.yaml"; then fail "a dashboard ConfigMap by default"; fi
helm template "$REL" "$CHART" -n "$NS" --set metrics.grafanaDashboard.enabled=true \
  --show-only templates/grafana-dashboard.yaml >"$E2E_TMP/dashboard.yaml" || fail "dashboard rendering"
k create --dry-run=client -f "$E2E_TMP/dashboard.yaml" -o json |
  jq -e '.metadata.labels.grafana_dashboard == "1" and (.data["ray-operator.json"] | fromjson | .panels | length > 0)' \
    >/dev/null || fail "the dashboard ConfigMap lacks its label or holds no panels"
if helm template "$REL" "$CHART" -n "$NS" --set metrics.grafanaDashboard.enabled=true,metrics.enabled=false >/dev/null 2>&1; then
  fail "a dashboard without metrics was accepted"
fi

step "the API server accepts the renderings (server-side dry run)"
WA=$NS-a
extra_namespace "$WA"
WB=$NS-b
extra_namespace "$WB"
helm template "$REL" "$CHART" -n "$NS" --include-crds | k apply --dry-run=server -f - >/dev/null ||
  fail "the default rendering is refused"
helm template "$REL" "$CHART" -n "$NS" --set singleNamespaceInstall=true --set "watchNamespaces={$WA,$WB}" |
  k apply --dry-run=server -f - >/dev/null || fail "the single-namespace rendering is refused"

step "helm install into a fresh namespace (every namespace watched: a ClusterRole)"
helm install "$REL" "$CHART" -n "$NS" >"$E2E_TMP/install.out" || fail "helm install: $(cat "$E2E_TMP/install.out")"
track_release "$REL" "$NS"
quiet_grep 'helm uninstall" leaves the CRD' "$E2E_TMP/install.out" || fail "NOTES.txt not shown"
for obj in deployment/$FULL serviceaccount/$SA service/$FULL role/$FULL-leader-election rolebinding/$FULL-leader-election; do
  k get -n "$NS" "$obj" >/dev/null || fail "no $obj"
done
k get clusterrole "$FULL" >/dev/null || fail "no ClusterRole"
k get clusterrolebinding "$FULL" >/dev/null || fail "no ClusterRoleBinding"

step "the ClusterRole grants exactly what the operator uses"
diff <(k get clusterrole "$FULL" -o json | rbac_triples) <(expected_operator_rules) ||
  fail "the ClusterRole's rules differ from the operator's needs (< chart, > expected)"

step "kubectl auth can-i: what the operator uses is allowed"
assert_can "$NS" "$SA" create pods -n default
assert_can "$NS" "$SA" delete pods -n default
assert_can "$NS" "$SA" delete services -n default  # a head Service under its old name
assert_can "$NS" "$SA" get secrets -n default      # the Redis password, for the GCS cleanup
assert_can "$NS" "$SA" create secrets -n default   # the token Secret of authOptions
assert_can "$NS" "$SA" patch pods --subresource=resize -n default
assert_can "$NS" "$SA" watch rayclusters.ray.io --all-namespaces
assert_can "$NS" "$SA" update rayclusters.ray.io --subresource=status -n default
assert_can "$NS" "$SA" create statefulsets.apps -n default
assert_can "$NS" "$SA" create deployments.apps -n default  # Deployment worker groups
assert_can "$NS" "$SA" delete deployments.apps -n default  # ... when their group is removed
assert_can "$NS" "$SA" create horizontalpodautoscalers.autoscaling -n default
assert_can "$NS" "$SA" create roles.rbac.authorization.k8s.io -n default
assert_can "$NS" "$SA" patch events -n default
assert_can "$NS" "$SA" update leases.coordination.k8s.io -n "$NS"

step "kubectl auth can-i: everything else is refused"
assert_cannot "$NS" "$SA" update secrets -n default
assert_cannot "$NS" "$SA" patch secrets -n default
assert_cannot "$NS" "$SA" delete secrets -n default
assert_cannot "$NS" "$SA" list configmaps -n default
assert_cannot "$NS" "$SA" delete serviceaccounts -n default
assert_cannot "$NS" "$SA" delete replicasets.apps -n default
assert_cannot "$NS" "$SA" create rayclusters.ray.io -n default
assert_cannot "$NS" "$SA" update rayclusters.ray.io -n default
assert_cannot "$NS" "$SA" delete rayclusters.ray.io -n default
assert_cannot "$NS" "$SA" escalate roles.rbac.authorization.k8s.io -n default
assert_cannot "$NS" "$SA" bind roles.rbac.authorization.k8s.io -n default
assert_cannot "$NS" "$SA" create clusterroles.rbac.authorization.k8s.io
assert_cannot "$NS" "$SA" impersonate serviceaccounts -n default
assert_cannot "$NS" "$SA" list nodes
assert_cannot "$NS" "$SA" create pods --subresource=exec -n default
assert_cannot "$NS" "$SA" create leases.coordination.k8s.io -n default
assert_cannot "$NS" "$SA" delete leases.coordination.k8s.io -n "$NS"

step "the Deployment's arguments are the chart's defaults"
ARGS=$(deployment_args "$NS" "$FULL")
for a in --metrics-addr=:8080 --health-addr=:8082 --leader-elect "--leader-election-namespace=$NS" \
  --leader-election-id=ray-operator-leader --qps=100 --burst=200 --log-format=json --log-level=info; do
  jq -e --arg a "$a" 'index($a) != null' <<<"$ARGS" >/dev/null || fail "argument $a missing from $ARGS"
done

step "the operator on the host, in-cluster, with the installed Deployment's arguments"
sa_dir "$E2E_TMP/sa-cluster" "$NS" "$SA"
MP=$(free_port)
HP=$(free_port)
readarray -d '' -t ARGV < <(host_args "$ARGS" "$MP" "$HP")
# The one addition: an operator watching every namespace would also reconcile the clusters of the
# tests running beside this one. The ClusterRole is still what authorises every request.
start_host_operator cluster-wide "$E2E_TMP/sa-cluster" "$FULL-5d8f7c9b4-x2x7q" "$NS" "${ARGV[@]}" "--namespaces=$NS"

step "/healthz, /readyz and /metrics answer where the probes and the Service point"
wait_host_http cluster-wide 60 "http://127.0.0.1:$HP/healthz"
wait_host_http cluster-wide 60 "http://127.0.0.1:$HP/readyz"
wait_host_http cluster-wide 60 "http://127.0.0.1:$MP/metrics"

step "the seed's RayCluster becomes Ready under the ClusterRole"
k apply -n "$NS" -f "$SEED" >/dev/null
k wait --for=condition=Ready "raycluster/$C" -n "$NS" --timeout=180s >/dev/null || fail "$C not Ready"
host_operator_alive cluster-wide || fail "the operator exited"
if grep -i -m3 'forbidden' "$(host_log cluster-wide)"; then fail "a request was forbidden"; fi
# Without "bind", a RoleBinding is refused unless its Role exists and the operator holds all of
# its rules; super-user runs never see that, so it is checked here.
warnings=$(warning_events "$NS")
[ -z "$warnings" ] || fail "Warning Events under the chart's RBAC: $warnings"

step "the log is JSON (logging.format=json)"
head -5 "$(host_log cluster-wide)" | jq -e . >/dev/null || fail "the log is not JSON lines"

step "SIGTERM stops the operator within the pod's terminationGracePeriodSeconds"
grace=$(get deployment "$FULL" '{.spec.template.spec.terminationGracePeriodSeconds}')
stop_host_operator cluster-wide TERM "$grace" || fail "the operator ignored SIGTERM for ${grace}s"

step "helm install with singleNamespaceInstall=true: a Role in the watched namespace only"
OPS=$NS-ops
extra_namespace "$OPS"
WORK=$NS-work
extra_namespace "$WORK"
REL2=$(release_name ro-single)
FULL2=$REL2-ray-operator
helm install "$REL2" "$CHART" -n "$OPS" --set singleNamespaceInstall=true --set "watchNamespaces={$WORK}" \
  >/dev/null || fail "helm install (single namespace)"
track_release "$REL2" "$OPS"
assert_eq "$(k get clusterrole,clusterrolebinding -l "app.kubernetes.io/instance=$REL2" -o name)" "" \
  "cluster-scoped objects of a single-namespace install"
diff <(k get role "$FULL2" -n "$WORK" -o json | rbac_triples) <(expected_operator_rules) ||
  fail "the Role's rules differ from the operator's needs (< chart, > expected)"
assert_can "$OPS" "$FULL2" create pods -n "$WORK"
assert_cannot "$OPS" "$FULL2" create pods -n "$NS"
assert_cannot "$OPS" "$FULL2" list pods --all-namespaces
assert_cannot "$OPS" "$FULL2" list rayclusters.ray.io --all-namespaces
assert_cannot "$OPS" "$FULL2" get secrets -n "$NS"

step "the operator exactly as the single-namespace Deployment runs it"
ARGS2=$(deployment_args "$OPS" "$FULL2")
jq -e --arg a "--namespaces=$WORK" 'index($a) != null' <<<"$ARGS2" >/dev/null || fail "no --namespaces=$WORK in $ARGS2"
sa_dir "$E2E_TMP/sa-single" "$OPS" "$FULL2"
readarray -d '' -t ARGV2 < <(host_args "$ARGS2" "$(free_port)" "$(free_port)")
start_host_operator single "$E2E_TMP/sa-single" "$FULL2-6c9d8b7f5-q4w8e" "$OPS" "${ARGV2[@]}"

step "the seed's RayCluster becomes Ready under the per-namespace Role"
k apply -n "$WORK" -f "$SEED" >/dev/null
k wait --for=condition=Ready "raycluster/$C" -n "$WORK" --timeout=180s >/dev/null || fail "$C not Ready in $WORK"
host_operator_alive single || fail "the operator exited"
if grep -i -m3 'forbidden' "$(host_log single)"; then fail "a request was forbidden"; fi
warnings=$(warning_events "$WORK")
[ -z "$warnings" ] || fail "Warning Events under the chart's RBAC: $warnings"
