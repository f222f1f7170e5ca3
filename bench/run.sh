#!/usr/bin/env bash
# The benchmarks: each scenario against a sandbox of its own (instance "bench", nodes big enough
# for its load), every time paired with its baseline in the same run and reported as a ratio.
#
#   bench/run.sh [--smoke] [SCENARIO...]
#
# Scenarios (default: all but moonshot): throughput memory isolation latency steady restart
# moonshot. The full run writes docs/benchmarks.md and its plots (docs/benchmarks/*.png);
# --smoke runs every scenario at a small size into a scratch directory, and fails only if a
# scenario cannot complete (the test suite runs it so). BENCH_OUT=DIR writes elsewhere.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${BUILD_DIR:-$repo/build}
# shellcheck source=bench/lib.sh
. "$repo/bench/lib.sh"

smoke=
if [ "${1:-}" = --smoke ]; then
  smoke=1
  shift
fi
scenarios=("$@")
((${#scenarios[@]})) || scenarios=(throughput memory isolation latency steady restart)

if [ -n "$smoke" ]; then
  out=${BENCH_OUT:-$(mktemp -d)}
  throughput_loads="10x3"
  memory_clusters=5 memory_pods="20 50"
  isolation_a=20 isolation_samples=3
  fleet=20 latency_samples=5 steady_seconds=15
  moonshot_clusters=20
else
  out=${BENCH_OUT:-$repo/docs}
  throughput_loads=${BENCH_THROUGHPUT_LOADS:-"100x5 1000x5"}
  memory_clusters=100 memory_pods="1000 5000 20000"
  isolation_a=500 isolation_samples=15
  fleet=1000 latency_samples=200 steady_seconds=300
  moonshot_clusters=10000
fi
mkdir -p "$out/benchmarks"
# A run of named scenarios keeps the figures of the others (a later line wins when the file is
# read), so the moonshot can run apart from the rest; each scenario records its commit and date.
results=$out/benchmarks/results.env
explicit=$#
[ "$explicit" -gt 0 ] && [ -z "$smoke" ] || : >"$results"
record() { printf '%s=%q\n' "$1" "$2" >>"$results"; }
commit=$(git -C "$repo" rev-parse --short HEAD)
git -C "$repo" diff --quiet HEAD -- . ':!docs' 2>/dev/null || commit="$commit+changes"

"$repo/scripts/build.sh" ray-operator kubelet-sim bench-client >/dev/null
trap 'operator_stop KILL; bench_sandbox_down' EXIT

# 1. Creation throughput: C clusters at 0 workers, every group patched to W at once, against the
# same pods created by a plain concurrent client; then the same with the limiter on.
scenario_throughput() {
  local load c w
  for load in $throughput_loads; do
    c=${load%x*} w=${load#*x}
    echo "== throughput $c x $w"
    bench_sandbox_up $((c * (2 * w + 1) + c * w))
    k create namespace bench >/dev/null
    k create namespace baseline >/dev/null
    operator_start bench --qps 0
    clusters_up bench bench- "$c" 0 $((2 * w))
    local t_base
    t_base=$(date +%s.%N)
    BENCH_TIMELINE=$out/benchmarks/timeline-baseline-$load.txt \
      bench_client create-pods baseline $((c * w)) bench bench-1 >"$out/benchmarks/baseline-$load.txt"
    read_figures base <"$out/benchmarks/baseline-$load.txt"
    # The kubelet simulator behind the baseline: when it has every baseline pod running, and its
    # own figure for its busiest 10 s, so that a reader knows how fast it goes.
    wait_running baseline $((c * w))
    record "simulator_${load}_seconds" "$(calc "$(date +%s.%N) - $t_base")"
    record "simulator_${load}_peak" "$(simulator_peak)"
    BENCH_TIMELINE=$out/benchmarks/timeline-operator-$load.txt \
      bench_client patch-workers bench bench- "$c" "$w" >"$out/benchmarks/operator-$load.txt"
    read_figures oper <"$out/benchmarks/operator-$load.txt"
    record "throughput_${load}_baseline" "$base_pods_per_second"
    record "throughput_${load}_operator" "$oper_pods_per_second"
    record "throughput_${load}_ratio" "$(calc "$oper_pods_per_second / $base_pods_per_second")"
    echo "operator $oper_pods_per_second pods/s, baseline $base_pods_per_second pods/s"
    # The limiter on at its default (100 QPS, burst 200): every request it makes counts.
    if [ "$load" = "${throughput_loads%% *}" ]; then
      wait_ready bench "$c"
      operator_stop
      operator_start bench --qps 100
      wait_until 300 reconciled_at_least "$c"
      # The window is the scale-up's, from its first patch to its last pod seen (bench-client's
      # figure): while it lasts the operator has more to send than the bucket lets through (the
      # pods' creates, then their Events), so the requests it sends are the limit's to decide.
      # Those counted also take in the few sent between the last pod seen and the count.
      local r0 r1
      r0=$(requests_of 'get|list|create|update|patch|delete')
      bench_client patch-workers bench bench- "$c" $((2 * w)) >"$out/benchmarks/limited-$load.txt"
      r1=$(requests_of 'get|list|create|update|patch|delete')
      read_figures lim <"$out/benchmarks/limited-$load.txt"
      record throughput_limited_pods_per_second "$lim_pods_per_second"
      record throughput_limited_requests $((r1 - r0))
      record throughput_limited_seconds "$lim_seconds"
      # The most a 100 QPS bucket with a burst of 200 lets through in that time.
      record throughput_limited_allowed "$(calc "100 * $lim_seconds + 200")"
      echo "with --qps 100: $((r1 - r0)) requests in $lim_seconds s (the bucket allows $(calc "100 * $lim_seconds + 200"))"
      wait_ready bench "$c"
    fi
    operator_stop
    bench_sandbox_down
  done
}

# 2. Memory: RSS with no cluster, then with N managed pods (CLUSTERS clusters of N/CLUSTERS).
scenario_memory() {
  local pods max=${memory_pods##* } rss w
  echo "== memory"
  bench_sandbox_up "$max"
  k create namespace bench >/dev/null
  operator_start bench --qps 0
  sleep 5
  rss=$(rss_kb)
  record memory_rss_0 "$rss"
  echo "RSS at 0 pods: $rss KB"
  clusters_up bench m- "$memory_clusters" 0 $((max / memory_clusters))
  for pods in $memory_pods; do
    w=$((pods / memory_clusters - 1))
    bench_client patch-workers bench m- "$memory_clusters" "$w" >/dev/null
    wait_ready bench "$memory_clusters"
    sleep 5
    rss=$(rss_kb)
    record "memory_rss_$pods" "$rss"
    echo "RSS with $pods pods: $rss KB"
  done
  operator_stop
  bench_sandbox_down
}

# 3. Isolation: a 1-pod scale-up of one cluster alone, and while another scales 0 -> A; with
# the limiter off, then on at its default (100 QPS), where the big scale-up's requests queue in
# the operator and the small one's must pass them.
isolation_round() {  # NAME FIRST BIG: B clusters FIRST.. alone, then as many beside BIG1
  local name=$1 first=$2 big_prefix=$3 n=$isolation_samples
  bench_client scale-latency bench b- "$first" $((first + n - 1)) >"$out/benchmarks/isolation-$name-alone.txt"
  bench_client patch-workers bench "$big_prefix" 1 "$isolation_a" >/dev/null &
  local big=$!
  bench_client scale-latency bench b- $((first + n)) $((first + 2 * n - 1)) >"$out/benchmarks/isolation-$name-loaded.txt"
  wait "$big"
  read_figures alone <"$out/benchmarks/isolation-$name-alone.txt"
  read_figures loaded <"$out/benchmarks/isolation-$name-loaded.txt"
}
scenario_isolation() {
  local n=$isolation_samples
  echo "== isolation"
  bench_sandbox_up $((2 * isolation_a + 8 * n + 4))
  k create namespace bench >/dev/null
  operator_start bench --qps 0
  clusters_up bench b- $((4 * n)) 0 1
  clusters_up bench a- 1 0 "$isolation_a"
  clusters_up bench c- 1 0 "$isolation_a"
  isolation_round unlimited 1 a-
  record isolation_alone_p50 "$alone_p50_ms"
  record isolation_loaded_p50 "$loaded_p50_ms"
  record isolation_alone_patch_p50 "$alone_patch_p50_ms"
  record isolation_loaded_patch_p50 "$loaded_patch_p50_ms"
  record isolation_ratio "$(calc "$loaded_p50_ms / $alone_p50_ms")"
  record isolation_patch_ratio "$(calc "$loaded_patch_p50_ms / $alone_patch_p50_ms")"
  echo "1-pod scale-up: ${alone_p50_ms} ms alone, ${loaded_p50_ms} ms beside a 0 -> $isolation_a" \
    "(its patch's round trip: $alone_patch_p50_ms and $loaded_patch_p50_ms ms)"
  # The same with the default limiter, beside another big cluster.
  wait_ready bench $((4 * n + 2))
  operator_stop
  operator_start bench --qps 100
  wait_until 300 reconciled_at_least $((4 * n + 2))
  isolation_round limited $((2 * n + 1)) c-
  record isolation_limited_alone_p50 "$alone_p50_ms"
  record isolation_limited_loaded_p50 "$loaded_p50_ms"
  record isolation_limited_ratio "$(calc "$loaded_p50_ms / $alone_p50_ms")"
  echo "with --qps 100: ${alone_p50_ms} ms alone, ${loaded_p50_ms} ms beside a 0 -> $isolation_a"
  operator_stop
  bench_sandbox_down
}

# 4-6 share one fleet of idle clusters: scale-up latency over a fifth of them, then the fleet
# at rest, then the operator killed and restarted.
fleet_up() {
  [ -n "${fleet_ready:-}" ] && return 0
  echo "== a fleet of $fleet idle clusters"
  bench_sandbox_up $((fleet * 3))
  k create namespace bench >/dev/null
  operator_start bench --qps 0
  record restart_first_lists "$(requests_of list)"
  clusters_up bench f- "$fleet" 0 1
  # The audit log names the operator's writes: its creates of the fleet's children are there.
  local audited
  audited=$(audited_writes)
  record fleet_audited_writes "$audited"
  ((audited >= fleet)) || { echo "bench: only $audited of the operator's writes in $audit_log" >&2; return 1; }
  fleet_ready=1
}
scenario_latency() {
  fleet_up
  echo "== scale-up latency"
  bench_client scale-latency bench f- 1 "$latency_samples" >"$out/benchmarks/latency.txt"
  read_figures lat <"$out/benchmarks/latency.txt"
  awk '$1 == "latencies_ms" { for (i = 2; i <= NF; i++) print $i }' "$out/benchmarks/latency.txt" |
    sort -n >"$out/benchmarks/latency-sorted.txt"
  record latency_samples "$lat_samples"
  record latency_p50 "$lat_p50_ms"
  record latency_p99 "$lat_p99_ms"
  record latency_patch_p50 "$lat_patch_p50_ms"
  record latency_patch_p99 "$lat_patch_p99_ms"
  record latency_ratio "$(calc "$lat_p99_ms / $lat_patch_p99_ms")"
  echo "patch -> pod seen: p50 $lat_p50_ms ms, p99 $lat_p99_ms ms;" \
    "the patch's own round trip: p50 $lat_patch_p50_ms ms, p99 $lat_patch_p99_ms ms"
  wait_ready bench "$fleet"
}
scenario_steady() {
  fleet_up
  echo "== steady state, $steady_seconds s"
  wait_ready bench "$fleet"
  sleep 10
  local w0 a0 c0 w1 a1 c1
  w0=$(writes) a0=$(audited_writes) c0=$(cpu_s)
  sleep "$steady_seconds"
  w1=$(writes) a1=$(audited_writes) c1=$(cpu_s)
  record steady_writes $((w1 - w0))
  record steady_audited_writes $((a1 - a0))
  record steady_cpu_percent "$(calc "($c1 - $c0) * 100 / $steady_seconds")"
  echo "at rest: $((w1 - w0)) writes ($((a1 - a0)) in the audit log), CPU $(calc "($c1 - $c0) * 100 / $steady_seconds") % of a core"
}
scenario_restart() {
  fleet_up
  echo "== restart"
  wait_ready bench "$fleet"
  local a0 started synced
  operator_stop KILL
  a0=$(audited_writes)
  started=$(date +%s.%N)
  operator_start bench --qps 0
  # Synced: every cluster reconciled once by the new process.
  wait_until 600 reconciled_at_least "$fleet"
  synced=$(date +%s.%N)
  sleep 10
  record restart_lists_seconds "$(calc "$op_ready - $started")"
  record restart_synced_seconds "$(calc "$synced - $started")"
  record restart_lists "$(requests_of list)"
  record restart_gets "$(requests_of get)"
  record restart_writes "$(writes)"
  record restart_audited_writes $(($(audited_writes) - a0))
  echo "restart: lists done in $(calc "$op_ready - $started") s, synced in $(calc "$synced - $started") s;" \
    "$(requests_of list) lists, $(requests_of get) gets, $(writes) writes"
}

# 7. The moonshot: 10,000 clusters x 4 pods (1 head + 3 workers). Each figure is recorded as
# soon as it is known, so a run cut short still says how far it got.
scenario_moonshot() {
  local c=$moonshot_clusters t0
  echo "== moonshot: $c clusters x 4 pods"
  record ran_moonshot "$commit $(date -u +%Y-%m-%d)"  # its start: a run cut short still counts
  bench_sandbox_up $((c * 4 + c * 3))
  k create namespace bench >/dev/null
  k create namespace baseline >/dev/null
  operator_start bench --qps 0
  t0=$(date +%s.%N)
  clusters_up bench x- "$c" 0 3
  record moonshot_clusters_ready_seconds "$(calc "$(date +%s.%N) - $t0")"
  record moonshot_rss_idle "$(rss_kb)"
  echo "moonshot: $c idle clusters Ready after $(calc "$(date +%s.%N) - $t0") s; RSS $(rss_kb) KB"
  bench_client create-pods baseline $((c * 3)) bench x-1 >"$out/benchmarks/moonshot-baseline.txt"
  read_figures mb <"$out/benchmarks/moonshot-baseline.txt"
  record moonshot_baseline "$mb_pods_per_second"
  echo "moonshot: the baseline created $((c * 3)) pods at $mb_pods_per_second pods/s"
  bench_client patch-workers bench x- "$c" 3 >"$out/benchmarks/moonshot-operator.txt"
  read_figures mo <"$out/benchmarks/moonshot-operator.txt"
  record moonshot_operator "$mo_pods_per_second"
  record moonshot_ratio "$(calc "$mo_pods_per_second / $mb_pods_per_second")"
  record moonshot_rss "$(rss_kb)"
  echo "moonshot: $mo_pods_per_second pods/s against $mb_pods_per_second; RSS $(rss_kb) KB"
  wait_ready bench "$c"
  record moonshot_rss "$(rss_kb)"
  echo "moonshot: every cluster Ready; RSS $(rss_kb) KB"
  operator_stop
  bench_sandbox_down
}

for s in "${scenarios[@]}"; do
  declare -F "scenario_$s" >/dev/null || { echo "bench: no scenario $s" >&2; exit 2; }
  "scenario_$s"
  record "ran_$s" "$commit $(date -u +%Y-%m-%d)"
done
operator_stop
bench_sandbox_down
[ -n "$smoke" ] && { echo "bench: every scenario completed (figures in $out/benchmarks)"; exit 0; }
"$repo/bench/report.sh" "$out"
