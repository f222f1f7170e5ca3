#!/usr/bin/env bash
# Creates the API server carries out but answers only after the client has given up (every
# response delayed past the operator's request timeout): the pods show up in the watch, and no
# replacement is ever made for one — with in-tree autoscaling off (a surplus would be deleted
# again) and on (a surplus would stay: unnamed pods are never deleted then). Counted from the
# API server's audit log: exactly one successful create per pod wanted, and no delete.
. "$(dirname "$0")/lib.sh"
new_namespace
start_proxy
export POD_NAME=op-$E2E_CASE  # the operator's identity, in its User-Agent
KUBECONFIG=$PROXY_KUBECONFIG start_operator --request-timeout 2

apply_cluster manual 1 false 0 8
apply_cluster auto 1 true 0 8
ready_cluster manual
ready_cluster auto

step "every answer now comes 3 s late, after the operator's 2 s timeout"
proxy "/latency?ms=3000"
max_file=$E2E_LOGS/$E2E_CASE-$NS-max
(
  max_manual=0 max_auto=0
  while kill -0 $$ 2>/dev/null; do  # ends with the test, whatever becomes of it
    m=$(live_worker_count manual) a=$(live_worker_count auto)
    ((m > max_manual)) && max_manual=$m
    ((a > max_auto)) && max_auto=$a
    echo "$max_manual $max_auto" >"$max_file"
    echo "$(date +%T.%N) manual $m auto $a" >>"$max_file.log"
    sleep 0.3
  done
) &
EXTRA_PIDS+=("$!")
for c in manual auto; do
  k patch raycluster "$c" -n "$NS" --type=json -p '[{"op":"replace","path":"/spec/workerGroupSpecs/0/replicas","value":6}]' >/dev/null
done
wait_until 120 "6 workers in manual" workers_are manual 6
wait_until 120 "6 workers in auto" workers_are auto 6

step "answers on time again: everything settles at 6 workers each"
proxy /reset
ready_cluster manual 120
ready_cluster auto 120
holds 10 "6 workers each" bash -c "[ \"\$(kubectl get pods -n $NS -l ray.io/node-type=worker -o json | jq '[.items[] | select(.metadata.deletionTimestamp == null)] | length')\" = 12 ]"
kill "${EXTRA_PIDS[-1]}" 2>/dev/null || true
read -r max_manual max_auto <"$max_file"
say "most workers seen at once: manual $max_manual, auto $max_auto"
assert_eq "$max_manual" 6 "the most workers manual ever had"
assert_eq "$max_auto" 6 "the most workers auto ever had"
created=$(audit "($POD_NAME)" | jq -s '[.[] | select(.objectRef.resource == "pods" and .verb == "create" and .responseStatus.code == 201)] | length')
deleted=$(audit "($POD_NAME)" | jq -s '[.[] | select(.objectRef.resource == "pods" and .verb == "delete")] | length')
repeats=$(audit "($POD_NAME)" | jq -s '[.[] | select(.objectRef.resource == "pods" and .verb == "create" and .responseStatus.code == 409)] | length')
say "pods created: $created (12 wanted), deleted: $deleted; creates repeated and answered 409: $repeats"
assert_eq "$created" 12 "pods created by the operator"
assert_eq "$deleted" 0 "pods deleted by the operator"
