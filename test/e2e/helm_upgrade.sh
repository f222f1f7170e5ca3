#!/usr/bin/env bash
# `helm upgrade` changes the Deployment as docs/install.md says (arguments, replicas; objects a
# value turns off are removed, RBAC follows watchNamespaces), an upgrade the chart refuses leaves
# the release as it was, and `helm uninstall` removes the chart's objects but keeps the CRD and
# the RayClusters.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/helm_lib.sh"

new_namespace
REL=$(release_name ro)
FULL=$REL-ray-operator

args() { deployment_args "$NS" "$FULL"; }
has_arg() { jq -e --arg a "$1" 'index($a) != null' <<<"$(args)" >/dev/null; }
assert_arg() { has_arg "$1" || fail "argument $1 missing from $(args)"; }
assert_no_arg() { ! has_arg "$1" || fail "argument $1 still in $(args)"; }
revision() { helm status "$REL" -n "$NS" -o json | jq -r .version; }

step "helm install with the defaults"
helm install "$REL" "$CHART" -n "$NS" >/dev/null || fail "helm install"
track_release "$REL" "$NS"
assert_eq "$(get deployment "$FULL" '{.spec.replicas}')" 1 "replicas"
assert_eq "$(get deployment "$FULL" '{.spec.strategy.type}')" Recreate "strategy"
assert_arg --log-level=info
assert_arg --qps=100
k get clusterrole "$FULL" >/dev/null || fail "no ClusterRole"

step "a RayCluster exists before the upgrades (no operator runs in this test)"
apply_cluster keep 1
k get raycluster keep -n "$NS" >/dev/null || fail "RayCluster not created"

step "helm upgrade --set logging.level=debug,kubeClient.qps=50,replicas=2"
helm upgrade "$REL" "$CHART" -n "$NS" --reuse-values \
  --set logging.level=debug,kubeClient.qps=50,replicas=2 >/dev/null || fail "helm upgrade"
assert_eq "$(revision)" 2 "revision"
assert_eq "$(get deployment "$FULL" '{.spec.replicas}')" 2 "replicas"
assert_arg --log-level=debug
assert_arg --qps=50
assert_no_arg --log-level=info
assert_no_arg --qps=100
assert_arg --burst=200
assert_arg --leader-elect

step "an upgrade the chart refuses leaves the release as it was"
if out=$(helm upgrade "$REL" "$CHART" -n "$NS" --reuse-values --set leaderElection.enabled=false 2>&1); then
  fail "two replicas without leader election were accepted"
fi
quiet_grep 'leaderElection.enabled' <<<"$out" || fail "the refusal does not name leaderElection.enabled: $out"
assert_eq "$(revision)" 2 "revision after a refused upgrade"
assert_arg --leader-elect

step "metrics.enabled=false: no metrics Service, port or address"
helm upgrade "$REL" "$CHART" -n "$NS" --reuse-values --set metrics.enabled=false >/dev/null || fail "helm upgrade"
wait_until 30 "the metrics Service removed" bash -c "! kubectl get service $FULL -n $NS >/dev/null 2>&1"
assert_arg --metrics-addr=0
assert_no_arg --metrics-addr=:8080
assert_eq "$(get deployment "$FULL" '{.spec.template.spec.containers[0].ports[*].name}')" health "container ports"

step "watchNamespaces set: the ClusterRole gives way to a Role in each namespace"
W1=$NS-w1
extra_namespace "$W1"
W2=$NS-w2
extra_namespace "$W2"
helm upgrade "$REL" "$CHART" -n "$NS" --reuse-values --set "watchNamespaces={$W1,$W2}" >/dev/null ||
  fail "helm upgrade"
assert_arg "--namespaces=$W1,$W2"
wait_until 30 "the ClusterRole removed" bash -c "! kubectl get clusterrole $FULL >/dev/null 2>&1"
wait_until 30 "the ClusterRoleBinding removed" bash -c "! kubectl get clusterrolebinding $FULL >/dev/null 2>&1"
for ns in "$W1" "$W2"; do
  k get role "$FULL" -n "$ns" >/dev/null || fail "no Role in $ns"
  k get rolebinding "$FULL" -n "$ns" >/dev/null || fail "no RoleBinding in $ns"
done

step "helm uninstall removes the chart's objects"
helm uninstall "$REL" -n "$NS" >/dev/null || fail "helm uninstall"
forget_releases
wait_until 60 "the chart's objects removed" bash -c "
  [ -z \"\$(kubectl get deployment,serviceaccount,service,role,rolebinding -n $NS -l app.kubernetes.io/instance=$REL -o name 2>/dev/null)\" ] &&
  [ -z \"\$(kubectl get role,rolebinding -n $W1 -l app.kubernetes.io/instance=$REL -o name 2>/dev/null)\" ] &&
  [ -z \"\$(kubectl get role,rolebinding -n $W2 -l app.kubernetes.io/instance=$REL -o name 2>/dev/null)\" ] &&
  [ -z \"\$(kubectl get clusterrole,clusterrolebinding -l app.kubernetes.io/instance=$REL -o name 2>/dev/null)\" ]"
assert_eq "$(helm list -n "$NS" -q)" "" "releases left"

step "the CRD and the RayClusters stay"
k get crd rayclusters.ray.io >/dev/null || fail "the CRD was removed"
k get raycluster keep -n "$NS" >/dev/null || fail "the RayCluster was removed"
