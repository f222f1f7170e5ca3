#!/usr/bin/env bash
# Fault: every watch cut at once, three times, while both clusters scale. The operator resumes
# each watch from the version it had and sees the changes made while it was away.
. "$(dirname "$0")/fault_lib.sh"
new_namespace
start_proxy
KUBECONFIG=$PROXY_KUBECONFIG start_operator
two_clusters 1 2
watching() { [ "$(proxy_status | jq '.watches | add // 0')" -ge "$1" ]; }
wait_until 30 "the operator's watches" watching 10
kinds=$(proxy_status | jq '.watches | length')
say "the operator watches $kinds kinds through the proxy"

step "every watch cut, three times, while a scales 1 -> 4 -> 2 and b scales up and down"
fault_start
for round in 1 2 3; do
  cut=$(curl -fsS -X POST "http://127.0.0.1:$PROXY_CONTROL/cut" | jq .cut)
  ((cut >= kinds)) || fail "round $round: $cut watches cut, fewer than the $kinds kinds watched"
  case $round in
    1) scale a 4 && scale b 4 ;;
    2) scale a 2 ;;
    3) mapfile -t b_pods < <(worker_pods b | head -n 1)
       scale_down_naming b 3 "${b_pods[@]}" ;;
  esac
  wait_until 30 "the watches to resume" watching "$kinds"
done
fault_end
await_convergence
check_invariants
workers_are a 2 || fail "cluster a does not have its 2 workers"
workers_are b 3 || fail "cluster b does not have its 3 workers"
