#!/usr/bin/env bash
# Benchmark: what managing clusters and pods costs the operator. Brings up its own sandbox
# instance ("bench", nodes big enough for the load), runs one operator, and measures in turn:
#
#   1. CLUSTERS RayClusters applied with 0 workers, until all are Ready: RSS per idle cluster;
#   2. every group patched to WORKERS at once (bench-client), until all are Ready again:
#      operator CPU per pod created, RSS per managed pod, pods created per second;
#   3. 30 s at rest: the operator's writes (from its own /metrics), which must be 0.
#
#   bench/scale.sh [CLUSTERS=100] [WORKERS=5]
#
# OPERATOR=path runs another build of the operator (e.g. an older one, for before/after
# figures); BENCH_OPERATOR_ARGS adds flags (default: --qps 0, the client-side limiter off).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
clusters=${1:-100}
workers=${2:-5}
build_dir=${BUILD_DIR:-$repo/build}
# shellcheck source=bench/lib.sh
. "$repo/bench/lib.sh"  # kubectl (k), calc, manifests
# Another build named by OPERATOR (and RAY_OPERATOR_KUBELET_SIM) is used as it is.
if [ -n "${OPERATOR:-}" ] && [ -n "${RAY_OPERATOR_KUBELET_SIM:-}" ]; then
  "$repo/scripts/build.sh" bench-client >/dev/null
else
  "$repo/scripts/build.sh" ray-operator kubelet-sim bench-client >/dev/null
fi
operator=${OPERATOR:-$build_dir/app/ray-operator}
pods_total=$((clusters * (workers + 1)))
nodes=$((pods_total / 100 + 2))
export RAY_OPERATOR_KUBELET_SIM=${RAY_OPERATOR_KUBELET_SIM:-$build_dir/sandbox/kubelet_sim/kubelet-sim}
export RAY_OPERATOR_KUBELET_SIM_ARGS="--nodes $nodes --node-cpu 64 --node-memory 256Gi"
"$repo/sandbox/down" bench --wipe >/dev/null 2>&1 || true
eval "$("$repo/sandbox/up" bench 2>/dev/null | tail -n 1)"
export KUBECONFIG
ns=bench-$$
log=$(mktemp)
cleanup() {
  [ -n "${op:-}" ] && kill "$op" 2>/dev/null && wait "$op" 2>/dev/null
  "$repo/sandbox/down" bench --wipe >/dev/null 2>&1 || true
  [ -n "${BENCH_KEEP_LOG:-}" ] && cp "$log" "$BENCH_KEEP_LOG"
  rm -f "$log"
}
trap cleanup EXIT
k apply -f "$repo/crds/ray.io_rayclusters.yaml" >/dev/null
"$repo/scripts/wait-established" rayclusters.ray.io
k create namespace "$ns" >/dev/null

op_metrics=$(free_port)  # the port of this operator's /metrics, which bench/lib.sh's figures read
# shellcheck disable=SC2086
"$operator" --namespaces "$ns" --metrics-addr "127.0.0.1:$op_metrics" --health-addr=0 \
  ${BENCH_OPERATOR_ARGS:---qps 0} >"$log" 2>&1 &
op=$!
# CPU seconds by thread name ("name seconds" lines), to see where a phase's CPU went.
thread_cpu() {
  local t
  for t in /proc/"$op"/task/*; do
    printf '%s %s\n' "$(cat "$t/comm")" "$(awk '{ print ($14 + $15) / 100 }' "$t/stat")"
  done | awk '{ n[$1] += $2 } END { for (k in n) print k, n[k] }' | sort
}
until curl -fsS "http://127.0.0.1:$op_metrics/metrics" >/dev/null 2>&1; do
  kill -0 "$op" 2>/dev/null || { cat "$log" >&2; exit 1; }
  sleep 0.1
done
until grep -q "watching RayClusters" "$log"; do sleep 0.1; done
sleep 2
base_rss=$(rss_kb)


# Clusters whose status speaks of their current spec, is Ready, and counts $1 ready workers.
ready_count() {
  k get rayclusters -n "$ns" -o json |
    jq --argjson w "$1" '[.items[] | select(.status.observedGeneration == .metadata.generation)
         | select(.status.conditions // [] | any(.type == "Ready" and .status == "True"))
         | select((.status.readyWorkerReplicas // 0) == $w)] | length'
}
# Ready as reported, and every cluster's head Service and workers really there.
converged() {
  [ "$(ready_count "$1")" = "$clusters" ] &&
    [ "$(k get services -n "$ns" --no-headers 2>/dev/null | grep -c -- '-head-svc ')" = "$clusters" ] &&
    [ "$(running_workers)" = "$((clusters * $1))" ]
}
running_workers() {
  k get pods -n "$ns" -l ray.io/node-type=worker --field-selector=status.phase=Running \
    --no-headers 2>/dev/null | grep -c . || true
}
wait_converged() {
  local what=$1 want=$2 deadline=$((SECONDS + ${BENCH_TIMEOUT:-900}))
  until converged "$want"; do
    if ((SECONDS >= deadline)); then
      echo "$what: not converged within ${BENCH_TIMEOUT:-900} s: $(ready_count "$want")/$clusters ready," \
        "$(k get services -n "$ns" --no-headers | grep -c -- '-head-svc ') head Services" >&2
      exit 1
    fi
    sleep 2
  done
}

# 1. Idle clusters.
t0=$(date +%s.%N)
manifests bench- "$clusters" 0 "$workers" | k apply -n "$ns" -f - >/dev/null
wait_converged "idle clusters" 0
t1=$(date +%s.%N)
sleep 5
idle_rss=$(rss_kb)
idle_cpu=$(cpu_s)

# 2. Scale every group up at once.
threads_before=$(thread_cpu)
reconciles_before=$(reconciles)
patches_before=$(requests_of patch)
pod_events_before=$(watch_events pods)
cluster_events_before=$(watch_events rayclusters)
# BENCH_PERF=FILE: the operator's CPU profile of this phase (perf's cpu-clock), for perf report.
[ -n "${BENCH_PERF:-}" ] && { perf record -q -e cpu-clock -F 499 -g -p "$op" -o "$BENCH_PERF" >/dev/null 2>&1 & perf_pid=$!; }
# Every group patched at once (16 requests in flight): kubectl would patch one cluster after
# another, so that the larger the load, the longer its clusters' pods would trickle in.
t2=$(date +%s.%N)
seen=$(bench_client patch-workers "$ns" bench- "$clusters" "$workers" | awk '$1 == "seconds" { print $2 }')
wait_converged "scale-up" "$workers"
t3=$(date +%s.%N)
sleep 5
[ -n "${perf_pid:-}" ] && { kill -INT "$perf_pid"; wait "$perf_pid" || true; }
loaded_cpu=$(cpu_s)
loaded_rss=$(rss_kb)
threads_after=$(thread_cpu)
reconciles_after=$(reconciles)
patches_after=$(requests_of patch)
pod_events_after=$(watch_events pods)
cluster_events_after=$(watch_events rayclusters)
created=$((clusters * workers))

# 3. At rest.
w0=$(writes)
sleep 30
w1=$(writes)

printf 'operator %s, %d clusters x %d workers (%d pods), flags: %s\n' "$operator" "$clusters" \
  "$workers" "$pods_total" "${BENCH_OPERATOR_ARGS:---qps 0}"
printf 'idle clusters Ready %.1f s after the apply; RSS %.1f MB at start, %.1f MB with the idle clusters: %.0f KB per idle cluster\n' \
  "$(calc "$t1 - $t0")" "$(calc "$base_rss / 1024")" "$(calc "$idle_rss / 1024")" \
  "$(calc "($idle_rss - $base_rss) / $clusters")"
printf 'scale-up to %d workers converged in %.1f s (%.0f pods/s); CPU %.1f s: %.2f ms per pod created\n' \
  "$created" "$(calc "$t3 - $t2")" "$(calc "$created / ($t3 - $t2)")" \
  "$(calc "$loaded_cpu - $idle_cpu")" "$(calc "($loaded_cpu - $idle_cpu) * 1000 / $created")"
printf 'every new pod seen in a watch %.1f s after the first patch\n' "$seen"
printf 'RSS %.1f MB managing %d pods: %.1f KB per pod created\n' "$(calc "$loaded_rss / 1024")" \
  "$pods_total" "$(calc "($loaded_rss - $idle_rss) / $created")"
printf 'requests: %s lists, %s creates, %s patches, %s deletes in all; %s reconciles; writes in 30 s at rest: %d\n' \
  "$(requests_of list)" "$(requests_of create)" "$(requests_of patch)" "$(requests_of delete)" \
  "$(reconciles)" "$((w1 - w0))"
printf 'during the scale-up, per cluster: %.1f reconciles, %.1f patches\n' \
  "$(calc "($reconciles_after - $reconciles_before) / $clusters")" \
  "$(calc "($patches_after - $patches_before) / $clusters")"
printf 'watch events during the scale-up: %.1f per pod created, %.1f RayCluster events per cluster\n' \
  "$(calc "($pod_events_after - $pod_events_before) / $created")" \
  "$(calc "($cluster_events_after - $cluster_events_before) / $clusters")"
printf 'Warning Events from the operator: %s\n' "$(k get events -n "$ns" --field-selector type=Warning -o json |
  jq -r '[.items[] | select(.source.component == "ray-operator") | {r: .reason, c: (.count // 1)}] | group_by(.r) | map("\(.[0].r) \(map(.c) | add)") | join(", ") | if . == "" then "none" else . end')"
printf 'CPU of the scale-up by thread: %s\n' "$(join <(echo "$threads_before") <(echo "$threads_after") |
  awk '{ printf "%s %.1f s, ", $1, $3 - $2 }' | sed 's/, $//')"
