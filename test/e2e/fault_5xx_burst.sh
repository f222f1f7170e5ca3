#!/usr/bin/env bash
# Fault: a burst of server errors (half of all requests answered 503, and a third of the writes
# 500, for 6 s) while a scales up and b scales down as the autoscaler does.
. "$(dirname "$0")/fault_lib.sh"
new_namespace
start_proxy
KUBECONFIG=$PROXY_KUBECONFIG start_operator
two_clusters 1 4

step "6 s of 503s and 500s while a scales 1 -> 5 and b 4 -> 2, naming two pods"
fault_start
proxy "/error?code=503&percent=50&seconds=6"
proxy "/error?code=500&percent=30&seconds=6&methods=POST,PATCH,PUT,DELETE"
scale a 5
mapfile -t b_pods < <(worker_pods b | head -n 2)
scale_down_naming b 2 "${b_pods[@]}"
await_fault_expiry 6
fault_end
await_convergence
check_invariants
for p in "${b_pods[@]}"; do
  ! k get pod "$p" -n "$NS" >/dev/null 2>&1 || [ -n "$(get pod "$p" '{.metadata.deletionTimestamp}')" ] ||
    fail "$p, named in workersToDelete, is still there"
done
errors=$(proxy_status | jq '[.outcomes | to_entries[] | select(.key | startswith("error 5")) | .value] | add // 0')
say "answered 5xx: $errors requests"
((errors > 0)) || fail "no request met the burst"
