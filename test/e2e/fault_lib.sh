# Shared by the fault tests (fault_*.sh), on top of lib.sh: each injects one fault while two
# clusters are at work, and judges the operator with the invariant checker (test/chaos,
# docs/reliability.md) watching the namespace straight from the API server. Sourced, not run.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# The invariant checker (test/chaos, docs/reliability.md) watching this test's namespace
# straight from the API server. A fault test marks its fault with fault_start and fault_end;
# await_convergence then times every cluster's convergence from the fault's end, and
# check_invariants fails the test on any violation.
CHECKER_REPORT=""
start_checker() {
  CHECKER_REPORT=$E2E_LOGS/$E2E_CASE-invariants.json
  CHECKER_COMMANDS=$E2E_LOGS/$E2E_CASE-checker-commands
  rm -f "$CHECKER_REPORT" "$CHECKER_COMMANDS"
  : >"$CHECKER_COMMANDS"
  "$E2E_BUILD_DIR/test/chaos/chaos" check "$NS" "$CHECKER_REPORT" "$CHECKER_COMMANDS" \
    >>"$E2E_LOGS/$E2E_CASE-checker.log" 2>&1 &
  EXTRA_PIDS+=("$!")
  wait_until 20 "the checker's first report" test -s "$CHECKER_REPORT"
}
epoch() { date +%s.%N; }
fault_start() {
  FAULT_STARTED=$(epoch)
  echo "fault-start $FAULT_STARTED" >>"$CHECKER_COMMANDS"
}
fault_end() {
  FAULT_ENDED=$(epoch)
  printf 'fault-end %s\nexpect %s\n' "$FAULT_ENDED" "$FAULT_ENDED" >>"$CHECKER_COMMANDS"
  say "the fault ended $(awk -v a="$FAULT_STARTED" -v b="$FAULT_ENDED" 'BEGIN { printf "%.1f", b - a }') s after it began"
}
report_field() { jq -r "$1" "$CHECKER_REPORT"; }
convergence_judged() {
  [ "$(report_field '(.convergence_seconds | length) + ([.violations[] | select(.kind == "converge")] | length)')" -gt 0 ]
}
# Waits for the checker's verdict on the convergence after fault_end, and prints its time.
await_convergence() {
  wait_until 60 "the checker's verdict on convergence" convergence_judged
  local seconds
  seconds=$(report_field '.convergence_seconds[0] // empty')
  [ -n "$seconds" ] || check_invariants
  CONVERGED_SECONDS=$seconds
  say "converged $(printf '%.1f' "$seconds") s after the fault ended"
}
no_judgment_held() { [ "$(report_field '.judgments_held // 0')" = 0 ]; }
check_invariants() {
  local n
  # What looked wrong is judged again once the checker's RayCluster watch had time to catch up.
  wait_until 20 "the checker's held judgments" no_judgment_held
  n=$(report_field '.violations | length')
  say "invariants: $(report_field .checks) checks, $n violations;" \
    "pods created $(report_field .pods_created), deleted by reason $(jq -c .pods_deleted "$CHECKER_REPORT")"
  if [ "$n" != 0 ]; then
    jq -r '.violations[] | "  \(.kind) [\(.cluster)]: \(.message)"' "$CHECKER_REPORT"
    fail "$n invariant violations (report: $CHECKER_REPORT)"
  fi
}

# The replicas of a cluster's group, as a user (or the autoscaler) patches them: CLUSTER N.
scale() {
  k patch raycluster "$1" -n "$NS" --type=json \
    -p "[{\"op\":\"replace\",\"path\":\"/spec/workerGroupSpecs/0/replicas\",\"value\":$2}]" >/dev/null
}
# As the autoscaler scales down: CLUSTER N POD... (the lower count and the pods that go).
scale_down_naming() {
  local c=$1 n=$2 names
  shift 2
  names=$(printf '"%s",' "$@")
  k patch raycluster "$c" -n "$NS" --type=json -p "[
    {\"op\":\"replace\",\"path\":\"/spec/workerGroupSpecs/0/replicas\",\"value\":$n},
    {\"op\":\"replace\",\"path\":\"/spec/workerGroupSpecs/0/scaleStrategy\",\"value\":{\"workersToDelete\":[${names%,}]}}]" >/dev/null
}
# The clusters every fault test works with: `a` (autoscaling off: the user scales it) and `b`
# (in-tree autoscaling on: scaled as the autoscaler does), both Ready, with the checker
# watching from before they are made.
two_clusters() {
  start_checker
  apply_cluster a "${1:-1}" false 0 60
  apply_cluster b "${2:-2}" true 0 10
  ready_cluster a 120
  ready_cluster b 120
}
# Waits until the clock passes START + SECONDS (a fault that ends by itself).
clock_past() { awk -v t="$(epoch)" -v e="$1" 'BEGIN { exit !(t >= e) }'; }
await_fault_expiry() {
  local until
  until=$(awk -v s="$FAULT_STARTED" -v d="$1" 'BEGIN { printf "%.3f", s + d }')
  wait_until $(($1 + 30)) "the fault to run out" clock_past "$until"
}
