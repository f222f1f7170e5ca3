#!/usr/bin/env bash
# Fault: etcd restarted (SIGKILL, down for a few seconds, started again) just after both clusters
# were scaled: the API server answers errors and its watches end meanwhile; the operator rides
# it out and converges.
. "$(dirname "$0")/fault_lib.sh"
new_namespace
start_operator
two_clusters 1 2

step "scale both, then kill and restart etcd"
fault_start
scale a 4
scale b 4
RESTART_DOWN_SECONDS=3 "$E2E_REPO/sandbox/restart" --kill "$E2E_INSTANCE" etcd 2>&1 | sed 's/^/  /'
fault_end
await_convergence
check_invariants
kill -0 "$OP_PID" 2>/dev/null || fail "the operator exited during the outage"
