#!/usr/bin/env bash
# Two replicas of the chart's Deployment, played by two operator processes on the host with the
# installed Deployment's arguments (--leader-elect) and the chart's ServiceAccount: only the
# Lease holder writes while the other waits; when the leader is killed (SIGKILL, so it cannot
# hand over) the standby takes the Lease and converges a newly applied RayCluster within 30 s.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/helm_lib.sh"

new_namespace
REL=$(release_name ro)
FULL=$REL-ray-operator
LEASE=ray-operator-leader
A=$FULL-7b9f6d5c8-ab12c
B=$FULL-7b9f6d5c8-cd34e

holder() { k get lease "$LEASE" -n "$NS" -o jsonpath='{.spec.holderIdentity}' 2>/dev/null; }
holder_is() { [ "$(holder)" = "$1" ]; }

step "helm install: two replicas, leader election, text debug logs, this namespace only"
# Debug logs name every write; watching only this namespace keeps other tests' clusters out.
helm install "$REL" "$CHART" -n "$NS" --set replicas=2 --set "watchNamespaces={$NS}" \
  --set logging.format=text,logging.level=debug >/dev/null || fail "helm install"
track_release "$REL" "$NS"
ARGS=$(deployment_args "$NS" "$FULL")
for a in --leader-elect "--leader-election-namespace=$NS" "--leader-election-id=$LEASE"; do
  jq -e --arg a "$a" 'index($a) != null' <<<"$ARGS" >/dev/null || fail "argument $a missing from $ARGS"
done
sa_dir "$E2E_TMP/sa" "$NS" "$FULL"

step "the first operator takes the Lease"
readarray -d '' -t ARGV_A < <(host_args "$ARGS" "$(free_port)" "$(free_port)")
start_host_operator a "$E2E_TMP/sa" "$A" "$NS" "${ARGV_A[@]}"
wait_until 30 "Lease $LEASE held by $A" holder_is "$A"

step "the second operator starts and waits"
readarray -d '' -t ARGV_B < <(host_args "$ARGS" "$(free_port)" "$(free_port)")
start_host_operator b "$E2E_TMP/sa" "$B" "$NS" "${ARGV_B[@]}"
wait_until 30 "the standby to log that it waits for the Lease" \
  quiet_grep -i 'waiting to lead' "$(host_log b)"

step "only the leader writes: a RayCluster converges, the standby makes no write"
apply_cluster first 2
ready_cluster first 120
workers_running_are first 2 || fail "first: not 2 running workers"
host_operator_alive b || fail "the standby exited"
(($(host_writes a) > 0)) || fail "the leader logged no write"
assert_eq "$(host_writes b)" 0 "writes logged by the standby"
holder_is "$A" || fail "the Lease moved to $(holder) while $A was alive"

step "SIGKILL the leader; the standby converges a new RayCluster within 30 s"
transitions=$(k get lease "$LEASE" -n "$NS" -o jsonpath='{.spec.leaseTransitions}')
stop_host_operator a KILL
killed_at=$SECONDS
apply_cluster second 1
ready_cluster second 30
say "second Ready $((SECONDS - killed_at)) s after the leader was killed"
holder_is "$B" || fail "Lease held by '$(holder)', not $B"
(($(k get lease "$LEASE" -n "$NS" -o jsonpath='{.spec.leaseTransitions}') > ${transitions:-0})) ||
  fail "leaseTransitions did not grow"
(($(host_writes b) > 0)) || fail "the new leader logged no write"

step "the new leader also keeps the first cluster"
k delete pod -n "$NS" "$(worker_pods first | sed -n 1p)" --wait=false >/dev/null
wait_until 60 "first back to 2 running workers" workers_running_are first 2
