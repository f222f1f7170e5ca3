#!/usr/bin/env bash
# Once converged, the operator makes no writes at all: not to children, not to the status,
# no Events (counted by the operator's own write log).
. "$(dirname "$0")/lib.sh"
new_namespace
start_operator
C=calm

apply_cluster "$C" 2 true 0 4
ready_cluster "$C"
wait_until 30 "writes to settle" bash -c "a=\$(grep -c ' write ' $E2E_LOGS/$E2E_CASE-operator.log); sleep 2; [ \"\$a\" = \"\$(grep -c ' write ' $E2E_LOGS/$E2E_CASE-operator.log)\" ]"
writes=$(operator_writes)
events=$(k get events -n "$NS" -o name | grep -c .)
rv=$(get raycluster "$C" '{.metadata.resourceVersion}')

step "10 seconds of steady state"
holds 10 "no writes" bash -c "[ \"\$(grep -c ' write ' $E2E_LOGS/$E2E_CASE-operator.log)\" = $writes ]"
assert_eq "$(k get events -n "$NS" -o name | grep -c .)" "$events" "events"
assert_eq "$(get raycluster "$C" '{.metadata.resourceVersion}')" "$rv" "the RayCluster's resourceVersion"
say "the operator made $writes writes to converge, then none"
