#!/usr/bin/env bash
# Fault: every watch cut, and each resume answered 410 Gone (its version compacted away): the
# operator relists, swaps its stores, and converges on what changed meanwhile, with no LIST per
# cluster.
. "$(dirname "$0")/fault_lib.sh"
new_namespace
start_proxy
KUBECONFIG=$PROXY_KUBECONFIG start_operator
two_clusters 1 2
watching() { [ "$(proxy_status | jq '.watches | add // 0')" -ge "$1" ]; }
wait_until 30 "the operator's watches" watching 10
kinds=$(proxy_status | jq '.watches | length')
lists_before=$(proxy_status | jq '.requests.GET // 0')

step "every resume answered 410 while the clusters scale"
fault_start
proxy "/gone?count=$kinds"
scale a 3
scale b 4
proxy /cut
gone_answered() { [ "$(proxy_status | jq '.outcomes.gone // 0')" -ge "$kinds" ]; }
wait_until 60 "$kinds resumes answered 410" gone_answered
fault_end
wait_until 60 "the watches to come back" watching "$kinds"
await_convergence
check_invariants
gets=$(( $(proxy_status | jq '.requests.GET // 0') - lists_before ))
say "$gets GET requests (lists and watches) since the fault began, for $kinds kinds"
((gets < 6 * kinds)) || fail "$gets GETs for $kinds kinds: more than a relist per kind"
