#!/usr/bin/env bash
# Fault: a 429 storm (every request answered Too Many Requests, Retry-After 1 s, for 8 s) while
# both clusters scale up. Nothing is lost: the creates go when the storm ends.
. "$(dirname "$0")/fault_lib.sh"
new_namespace
start_proxy
KUBECONFIG=$PROXY_KUBECONFIG start_operator
two_clusters 1 2

step "8 s of 429s while a scales 1 -> 6 and b 2 -> 4"
fault_start
proxy "/error?code=429&retry_after=1&seconds=8"
scale a 6
scale b 4
await_fault_expiry 8
fault_end
await_convergence
check_invariants
say "answered 429: $(proxy_status | jq '.outcomes["error 429"] // 0') requests"
((  $(proxy_status | jq '.outcomes["error 429"] // 0') > 0 )) || fail "no request met the storm"
