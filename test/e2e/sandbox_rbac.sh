#!/usr/bin/env bash
# RBAC is enforced: a ServiceAccount's token (TokenRequest) gets what its Role grants and is
# refused what it does not.
. "$(dirname "$0")/lib.sh"
new_namespace

step "a ServiceAccount with a Role that may only list pods"
k create serviceaccount reader -n "$NS" >/dev/null
k create role pod-reader -n "$NS" --verb=get,list --resource=pods >/dev/null
k create rolebinding reader -n "$NS" --role=pod-reader --serviceaccount="$NS:reader" >/dev/null

step "its token from TokenRequest"
token=$(k create token reader -n "$NS" --duration=10m)
[ -n "$token" ] || fail "no token"
server=$(k config view --minify -o 'jsonpath={.clusters[0].cluster.server}')
ca=$(k config view --minify --raw -o 'jsonpath={.clusters[0].cluster.certificate-authority}')
as_reader() { kubectl --kubeconfig=/dev/null --server="$server" --certificate-authority="$ca" --token="$token" "$@" 2>&1; }

step "what the Role grants is allowed"
as_reader get pods -n "$NS" >/dev/null || fail "listing pods was refused: $(as_reader get pods -n "$NS")"

step "what the Role does not grant is refused"
out=$(as_reader create configmap x -n "$NS" --from-literal=a=b || true)
echo "$out" | quiet_grep -i forbidden || fail "creating a configmap was not refused: $out"
out=$(as_reader get pods -n default || true)
echo "$out" | quiet_grep -i forbidden || fail "listing another namespace was not refused: $out"
