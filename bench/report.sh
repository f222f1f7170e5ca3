#!/usr/bin/env bash
# Writes DIR/benchmarks.md and DIR/benchmarks/*.png from the figures bench/run.sh left in
# DIR/benchmarks (results.env, timelines, latencies). Run by bench/run.sh after a full run.
#
#   bench/report.sh [DIR=docs]
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$repo/docs}
data=$out/benchmarks
# shellcheck source=sandbox/lib/common.sh
. "$repo/sandbox/lib/common.sh"
ensure_packages gnuplot-nox
# shellcheck disable=SC1091
. "$data/results.env"

v() { local n=$1; printf '%s' "${!n:-n/a}"; }
num() { awk -v x="$(v "$1")" -v d="${2:-1}" 'BEGIN { if (x == "n/a") print "n/a"; else printf "%.*f", d, x }'; }
# met EXPR: "met" or "**not met**" (EXPR over the figures, in awk); "not run" without them.
met() {
  local expr=$1 name
  # Longest first, so that a name that starts another is not replaced inside it.
  for name in $(grep -o '[a-z_0-9x]*' <<<"$expr" | grep '_' | awk '{ print length, $0 }' | sort -rn | cut -d' ' -f2); do
    [ -n "${!name:-}" ] || { printf 'not run'; return; }
    expr=${expr//$name/${!name}}
  done
  awk "BEGIN { exit !($expr) }" && printf 'met' || printf '**not met**'
}
# Which commit each scenario ran at, and when: "throughput at abc1234 (2026-12-03), ...".
ran_at() {
  local s out= n
  for s in throughput memory isolation latency steady restart moonshot; do
    n=ran_$s
    [ -n "${!n:-}" ] || continue
    out+="${out:+, }$s at \`${!n% *}\` (${!n##* })"
  done
  printf '%s' "${out:-no scenario recorded}"
}
# The moonshot records its start, so a run cut short shows how far it got, and says so.
moonshot_verdict() {
  if [ -n "${ran_moonshot:-}" ] && [ -z "${moonshot_ratio:-}" ]; then
    printf '**not met** (the run did not finish)'
  else
    met "moonshot_ratio >= 0.8 && moonshot_rss < 153600"
  fi
}
kb_mb() { awk -v x="$(v "$1")" 'BEGIN { if (x == "n/a") print "n/a"; else printf "%.1f", x / 1024 }'; }
# The slope from 1,000 pods to the largest count reached (20,000, or 5,000 when a run fell short).
memory_top=20000
[ -n "${memory_rss_20000:-}" ] || memory_top=5000
memory_top_rss=memory_rss_$memory_top
memory_slope=$(awk -v a="${memory_rss_1000:-}" -v b="${!memory_top_rss:-}" -v n="$memory_top" \
  'BEGIN { if (a == "" || b == "") print ""; else printf "%.2f", (b - a) / (n - 1000) }')

# --- plots -----------------------------------------------------------------------------------
plot() { gnuplot -e "set terminal png size 800,480; set output '$data/$1'; set grid; set key top left" -e "$2"; }
if [ -n "${memory_rss_0:-}" ]; then
  {
    echo "0 $memory_rss_0"
    for p in 1000 5000 20000; do n=memory_rss_$p; [ -n "${!n:-}" ] && echo "$p ${!n}"; done
  } >"$data/memory.dat"
  plot memory.png "set title 'Operator RSS against managed pods'; set xlabel 'managed pods';
    set ylabel 'RSS (MB)'; plot '$data/memory.dat' using 1:(\$2/1024) with linespoints lw 2 title 'ray-operator'"
fi
if [ -s "$data/latency-sorted.txt" ]; then
  plot latency.png "set title 'Scale-up latency: patch sent to pod seen'; set xlabel 'latency (ms)';
    set ylabel 'fraction of scale-ups'; stats '$data/latency-sorted.txt' nooutput;
    plot '$data/latency-sorted.txt' using 1:((\$0 + 1)/STATS_records) with steps lw 2 title 'one cluster at a time'"
fi
load=${throughput_loads_largest:-1000x5}
if [ -s "$data/timeline-operator-$load.txt" ]; then
  plot throughput.png "set title 'Pods created over time ($load)'; set xlabel 'seconds after the first request';
    set ylabel 'pods seen'; plot '$data/timeline-baseline-$load.txt' using 1:0 with lines lw 2 title 'plain concurrent client',
    '$data/timeline-operator-$load.txt' using 1:0 with lines lw 2 title 'ray-operator'"
fi

# --- the table -------------------------------------------------------------------------------
cat >"$out/benchmarks.md" <<EOF
# Benchmarks

Figures from \`bench/run.sh\` (written by it; do not edit by hand) on $(nproc) cores and
$(awk '/MemTotal/ { printf "%.0f GB", $2 / 1048576 }' /proc/meminfo) of memory
($(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1)); scenarios run: $(ran_at).
The operator, the sandbox's kube-apiserver, etcd and kube-controller-manager and the kubelet
simulator share these cores, so every figure that is a time is paired with its baseline from
the same run and given as a ratio. The throughput baseline is \`bench-client\`
(bench/client/): the project's HTTP client with the limiter off and 16 requests in flight over
HTTP/1.1 keep-alive, creating the same pods (the worker pod the operator builds, from the same
functions of ray/) in the same sandbox.

| scenario | figure | baseline | ratio | target | |
|---|---|---|---|---|---|
| 1. throughput 100×5 | $(num throughput_100x5_operator) pods/s | $(num throughput_100x5_baseline) pods/s | $(num throughput_100x5_ratio 2) | ≥ 0.80 | $(met "throughput_100x5_ratio >= 0.8") |
| 1. throughput 1,000×5 | $(num throughput_1000x5_operator) pods/s | $(num throughput_1000x5_baseline) pods/s | $(num throughput_1000x5_ratio 2) | ≥ 0.80 | $(met "throughput_1000x5_ratio >= 0.8") |
| 1. limiter on (100 QPS, burst 200), 100×5 → 100×10 | $(v throughput_limited_requests) requests in $(num throughput_limited_seconds) s ($(num throughput_limited_pods_per_second) pods/s) | $(num throughput_limited_allowed 0) allowed | $(awk -v r="${throughput_limited_requests:-}" -v a="${throughput_limited_allowed:-}" 'BEGIN { if (r == "" || a == "") print "n/a"; else printf "%.2f", r / a }') | the limit is the bound: 0.90–1.00 | $(met "throughput_limited_requests <= throughput_limited_allowed && throughput_limited_requests >= 0.9 * throughput_limited_allowed") |
| kubelet simulator behind the 100×5 / 1,000×5 baselines | every pod Running $(num simulator_100x5_seconds) / $(num simulator_1000x5_seconds) s after the first create; busiest 10 s: $(num simulator_100x5_peak) / $(num simulator_1000x5_peak) pods started per second | | | (which side bounds: bench/notes.md) | |
| 2. memory, no cluster | $(kb_mb memory_rss_0) MB | | | ≤ 30 MB | $(met "memory_rss_0 <= 30720") |
| 2. memory, 1,000 / 5,000 / 20,000 pods | $(kb_mb memory_rss_1000) / $(kb_mb memory_rss_5000) / $(kb_mb memory_rss_20000) MB | | | | |
| 2. memory per managed pod (slope, 1,000 → $memory_top pods) | ${memory_slope:-n/a} KB | | | ≤ 10 KB | $( [ -n "$memory_slope" ] && met "$memory_slope <= 10" || echo 'not run') |
| 3. isolation: 1-pod scale-up beside a 0 → 500, p50 | $(num isolation_loaded_p50) ms | $(num isolation_alone_p50) ms alone | $(num isolation_ratio 2) | ≤ 1.5 | $(met "isolation_ratio <= 1.5") |
| 3. isolation: the same scale-up's own patch, p50 | $(num isolation_loaded_patch_p50) ms | $(num isolation_alone_patch_p50) ms alone | $(num isolation_patch_ratio 2) | (the API server's share) | |
| 3. isolation with the limiter on (100 QPS) | $(num isolation_limited_loaded_p50) ms | $(num isolation_limited_alone_p50) ms alone | $(num isolation_limited_ratio 2) | ≤ 1.5 | $(met "isolation_limited_ratio <= 1.5") |
| 4. scale-up latency, $(v latency_samples) of 1,000 clusters | p99 $(num latency_p99) ms (p50 $(num latency_p50) ms) | the patch's own round trip: p99 $(num latency_patch_p99) ms (p50 $(num latency_patch_p50) ms) | $(num latency_ratio 2) | p99 < 50 ms | $(met "latency_p99 < 50") |
| 5. steady state, 1,000 clusters, 5 min | $(v steady_writes) writes ($(v steady_audited_writes) in the audit log), CPU $(num steady_cpu_percent 2) % of a core | | | 0 writes, < 1 % | $(met "steady_writes == 0 && steady_audited_writes == 0 && steady_cpu_percent < 1") |
| 6. restart, 1,000 clusters | synced $(num restart_synced_seconds) s after start; lists done at $(num restart_lists_seconds) s | | | ≤ lists + 10 s | $(met "restart_synced_seconds <= restart_lists_seconds + 10") |
| 6. restart: requests on the way | $(v restart_lists) lists (first start, with no cluster yet: $(v restart_first_lists); the watches list in pages of 500, so more objects mean a few more pages), $(v restart_gets) gets, $(v restart_writes) writes ($(v restart_audited_writes) audited) | | | no per-cluster LIST (under 100 for 1,000 clusters), 0 writes | $(met "restart_lists < 100 && restart_writes == 0 && restart_audited_writes == 0") |
| 7. moonshot: 10,000×4 | $(num moonshot_operator) pods/s; RSS $(kb_mb moonshot_rss) MB ($(kb_mb moonshot_rss_idle) MB with the clusters idle, Ready $(num moonshot_clusters_ready_seconds 0) s after the apply) | $(num moonshot_baseline) pods/s | $(num moonshot_ratio 2) | ≥ 0.80, < 150 MB | $(moonshot_verdict) |

![RSS against managed pods](benchmarks/memory.png)
![Scale-up latency](benchmarks/latency.png)
![Pods created over time](benchmarks/throughput.png)
EOF
# What the run could not show, and why (kept by hand in bench/notes.md), follows the table.
[ -f "$repo/bench/notes.md" ] && cat "$repo/bench/notes.md" >>"$out/benchmarks.md"
echo "wrote $out/benchmarks.md"
