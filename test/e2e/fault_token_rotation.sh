#!/usr/bin/env bash
# Fault: the operator's ServiceAccount token rotated, as the kubelet rotates a projected token,
# and the old one revoked at once: the file is rewritten, then the Secret the old token was bound
# to is deleted. The next request refused 401 makes the operator read the file again and repeat
# it with the new token: nothing waits for the minute-long re-read.
. "$(dirname "$0")/fault_lib.sh"
new_namespace
k create serviceaccount op -n "$NS" >/dev/null
k create clusterrolebinding "$NS-op" --clusterrole=cluster-admin --serviceaccount="$NS:op" >/dev/null
AFTER_CLEANUP+=("kubectl delete clusterrolebinding $NS-op")
k create secret generic token-1 -n "$NS" >/dev/null
k create secret generic token-2 -n "$NS" >/dev/null
sa_dir=$E2E_LOGS/$E2E_CASE-serviceaccount
rm -rf "$sa_dir" && mkdir -p "$sa_dir"
bound_token() { k create token op -n "$NS" --duration=1h --bound-object-kind Secret --bound-object-name "$1"; }
bound_token token-1 >"$sa_dir/token"
cp "$(k config view --minify --raw -o 'jsonpath={.clusters[0].cluster.certificate-authority}')" "$sa_dir/ca.crt"
printf '%s' "$NS" >"$sa_dir/namespace"
server=$(k config view --minify -o 'jsonpath={.clusters[0].cluster.server}')
server=${server#https://}
# shellcheck disable=SC2086
env KUBECONFIG= KUBERNETES_SERVICE_HOST="${server%:*}" KUBERNETES_SERVICE_PORT="${server##*:}" \
  RAY_OPERATOR_SERVICE_ACCOUNT_DIR="$sa_dir" "$E2E_BUILD_DIR/app/ray-operator" --namespaces "$NS" \
  --log-level debug $OPERATOR_HTTP_ARGS >>"$E2E_LOGS/$E2E_CASE-operator.log" 2>&1 &
OP_PID=$!
two_clusters 1 2
answers_with() {  # TOKEN_FILE: the HTTP status the API server gives that token
  curl -s -o /dev/null -w '%{http_code}' --cacert "$sa_dir/ca.crt" \
    -H "Authorization: Bearer $(<"$1")" "https://$server/api/v1/namespaces/$NS/pods"
}
cp "$sa_dir/token" "$sa_dir/old-token"
assert_eq "$(answers_with "$sa_dir/old-token")" 200 "the first token's answer"

step "rotate: the file rewritten, the old token revoked; then both clusters scale"
fault_start
bound_token token-2 >"$sa_dir/token.new"
mv -f "$sa_dir/token.new" "$sa_dir/token"
k delete secret token-1 -n "$NS" >/dev/null
revoked() { [ "$(answers_with "$sa_dir/old-token")" = 401 ]; }
wait_until 30 "the old token to be refused" revoked
fault_end
scale a 3
scale b 4
await_convergence
check_invariants
quiet_grep -i "401\|unauthorized" "$E2E_LOGS/$E2E_CASE-operator.log" &&
  say "the operator met the revoked token (and went on with the new one)"
true
