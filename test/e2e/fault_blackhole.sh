#!/usr/bin/env bash
# Fault: the API server goes silent for 30 s (every connection held open, nothing answered,
# then cut), while a scales up: the user's patch reaches the server, the operator's requests do
# not. When the silence ends the operator reconnects and converges.
. "$(dirname "$0")/fault_lib.sh"
new_namespace
start_proxy
KUBECONFIG=$PROXY_KUBECONFIG start_operator
two_clusters 1 2

step "30 s of silence while a scales 1 -> 4 and b 2 -> 3"
fault_start
proxy "/blackhole?seconds=30"
scale a 4
scale b 3
await_fault_expiry 30
released() { [ "$(proxy_status | jq .holding)" = false ]; }
wait_until 10 "the proxy to release" released
fault_end
await_convergence
check_invariants
