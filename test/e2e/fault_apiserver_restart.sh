#!/usr/bin/env bash
# Fault: kube-apiserver restarted (SIGTERM, SIGKILL 5 s later if it has not stopped, down for a
# few seconds, started again) just after
# both clusters were scaled: every watch and connection of the operator breaks; it reconnects,
# resumes or relists, and converges.
. "$(dirname "$0")/fault_lib.sh"
new_namespace
start_operator
two_clusters 1 2

step "scale both, then restart kube-apiserver"
fault_start
scale a 4
scale b 4
RESTART_GRACE_SECONDS=5 RESTART_DOWN_SECONDS=3 "$E2E_REPO/sandbox/restart" "$E2E_INSTANCE" kube-apiserver 2>&1 | sed 's/^/  /'
fault_end
await_convergence
check_invariants
kill -0 "$OP_PID" 2>/dev/null || fail "the operator exited during the outage"
