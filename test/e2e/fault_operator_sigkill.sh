#!/usr/bin/env bash
# Fault: the operator SIGKILLed in the middle of a 50-pod scale-up and started again: no pod
# created twice or beyond the 50, none deleted, and b keeps converging.
. "$(dirname "$0")/fault_lib.sh"
new_namespace
# Held to 20 requests a second, so that the scale-up (its creates and their Events) lasts a few
# seconds and the kill lands in the middle of it.
start_operator --qps 20 --burst 1
two_clusters 0 2

step "scale a to 50 and kill the operator part of the way"
fault_start
scale a 50
scale b 3
some_made() { [ "$(worker_pods a | grep -c .)" -ge 8 ]; }
wait_until 60 "the scale-up to be under way" some_made
stop_operator KILL
made=$(worker_pods a | grep -c .)
say "$made of a's 50 workers existed when the operator was killed"
((made < 50)) || fail "the scale-up was over before the operator was killed"
start_operator
fault_end
await_convergence
check_invariants
deleted=$(jq '.pods_deleted | add // 0' "$CHECKER_REPORT")
assert_eq "$deleted" 0 "pods deleted"
workers_are a 50 || fail "a does not have its 50 workers"
