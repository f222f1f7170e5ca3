#!/usr/bin/env bash
# Fault: leader failover under load. Two operators with leader election, each through a fault
# proxy of its own; while the leader scales a cluster by 30 pods its API server goes silent
# (blackholed). It steps down at its renew deadline, before its lease can expire, whether or not
# a call is in flight; the standby takes over and finishes. From the API server's audit log:
# never two writers at once.
. "$(dirname "$0")/fault_lib.sh"
new_namespace
LE_ARGS="--leader-elect --leader-election-namespace $NS --leader-election-id failover-lease"
start_proxy a
a_kubeconfig=$PROXY_KUBECONFIG a_control=$PROXY_CONTROL
start_proxy b
b_kubeconfig=$PROXY_KUBECONFIG
PROXY_CONTROL=$a_control
a_log=$E2E_LOGS/$E2E_CASE-a.log
b_log=$E2E_LOGS/$E2E_CASE-b.log
# shellcheck disable=SC2086
POD_NAME=op-a KUBECONFIG=$a_kubeconfig "$E2E_BUILD_DIR/app/ray-operator" --namespaces "$NS" \
  --log-level debug --metrics-addr=0 --health-addr=0 $LE_ARGS >"$a_log" 2>&1 &
a_pid=$!
EXTRA_PIDS+=("$a_pid")
wait_until 30 "op-a to lead" quiet_grep "op-a is now the leader" "$a_log"
# shellcheck disable=SC2086
POD_NAME=op-b KUBECONFIG=$b_kubeconfig "$E2E_BUILD_DIR/app/ray-operator" --namespaces "$NS" \
  --log-level debug --metrics-addr=0 --health-addr=0 $LE_ARGS >"$b_log" 2>&1 &
EXTRA_PIDS+=("$!")
wait_until 30 "op-b to stand by" quiet_grep "op-b is waiting to lead" "$b_log"
two_clusters 1 2

step "a scales 1 -> 31; when it is under way, op-a's API server goes silent"
fault_start
scale a 31
under_way() { [ "$(worker_pods a | grep -c .)" -ge 8 ]; }
wait_until 60 "the scale-up to be under way" under_way
proxy /blackhole
held_at=$(epoch)
scale b 4
a_gone() { ! kill -0 "$a_pid" 2>/dev/null; }
wait_until 30 "op-a to step down" a_gone
quiet_grep "could not renew" "$a_log" || fail "op-a did not step down for missing its renew deadline"
wait_until 60 "op-b to lead" quiet_grep "op-b is now the leader" "$b_log"
fault_end
await_convergence
check_invariants

step "the audit log: op-a's last write ended before op-b's first began"
last_a=$(audit "(op-a)" | jq -rs 'map(.stageTimestamp) | max')
first_b=$(audit "(op-b)" | jq -rs 'map(.requestReceivedTimestamp) | min')
[ "$last_a" != null ] || fail "no write of op-a in the audit log"
[ "$first_b" != null ] || fail "no write of op-b in the audit log"
say "op-a wrote last at $last_a; op-b first at $first_b"
to_epoch() { date -u -d "$1" +%s.%N; }
before() { awk -v a="$(to_epoch "$1")" -v b="$(to_epoch "$2")" 'BEGIN { exit !(a < b) }'; }
before "$last_a" "$first_b" || fail "op-a and op-b both wrote: op-a until $last_a, op-b from $first_b"
step_down=$(sed -n 's/^\([0-9T:.-]*Z\) .*could not renew.*/\1/p' "$a_log" | head -1)
say "op-a stepped down at $step_down, $(awk -v a="$(to_epoch "$step_down")" -v h="$held_at" 'BEGIN { printf "%.1f", a - h }') s after its API server went silent"
before "$step_down" "$first_b" || fail "op-a stepped down at $step_down, after op-b began writing at $first_b"
