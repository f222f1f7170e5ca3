#!/usr/bin/env bash
# Benchmark: time to converge and operator memory per managed pod. Brings up its own sandbox
# instance ("bench"), runs one operator, creates CLUSTERS RayClusters of WORKERS workers each
# (small pods, so the simulated nodes hold them), and prints figures.
#
#   bench/scale.sh [CLUSTERS=20] [WORKERS=10]
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
clusters=${1:-20}
workers=${2:-10}
build_dir=${BUILD_DIR:-$repo/build}
"$repo/scripts/build.sh" ray-operator kubelet-sim >/dev/null
export RAY_OPERATOR_KUBELET_SIM=$build_dir/sandbox/kubelet_sim/kubelet-sim
export RAY_OPERATOR_KUBELET_SIM_ARGS="--nodes 8 --node-cpu 64 --node-memory 256Gi"
eval "$("$repo/sandbox/up" bench 2>/dev/null | tail -n 1)"
export KUBECONFIG
k() { kubectl "$@" 2> >(grep -v -i 'version difference\|skew' >&2); }
ns=bench-$$
log=$(mktemp)
cleanup() {
  [ -n "${op:-}" ] && kill "$op" 2>/dev/null && wait "$op" 2>/dev/null
  k delete namespace "$ns" --wait=false >/dev/null 2>&1 || true
  "$repo/sandbox/down" bench --wipe >/dev/null 2>&1 || true
  [ -n "${BENCH_KEEP_LOG:-}" ] && cp "$log" "$BENCH_KEEP_LOG"
  rm -f "$log"
}
trap cleanup EXIT
k apply -f "$repo/crds/ray.io_rayclusters.yaml" >/dev/null
k wait --for=condition=Established crd/rayclusters.ray.io --timeout=60s >/dev/null
k create namespace "$ns" >/dev/null

"$build_dir/app/ray-operator" --namespaces "$ns" --metrics-addr=0 --health-addr=0 ${BENCH_OPERATOR_ARGS:-} >"$log" 2>&1 &
op=$!
rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$op/status"; }
until grep -q "watching RayClusters" "$log"; do sleep 0.1; done
sleep 1
base=$(rss_kb)

start=$(date +%s.%N)
for i in $(seq 1 "$clusters"); do
  cat <<YAML
apiVersion: ray.io/v1
kind: RayCluster
metadata: {name: bench-$i}
spec:
  rayVersion: "2.9.0"
  headGroupSpec:
    template:
      spec:
        containers:
        - {name: ray-head, image: rayproject/ray:2.9.0, resources: {limits: {cpu: 100m, memory: 256Mi}}}
  workerGroupSpecs:
  - groupName: w
    replicas: $workers
    minReplicas: 0
    maxReplicas: $workers
    template:
      spec:
        containers:
        - {name: ray-worker, image: rayproject/ray:2.9.0, resources: {limits: {cpu: 100m, memory: 256Mi}}}
---
YAML
done | k apply -n "$ns" -f - >/dev/null
applied=$(date +%s.%N)

ready() {
  k get rayclusters -n "$ns" -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' |
    grep -c True || true
}
deadline=$((SECONDS + ${BENCH_TIMEOUT:-600}))
until [ "$(ready)" = "$clusters" ]; do
  if ((SECONDS >= deadline)); then
    echo "not converged within ${BENCH_TIMEOUT:-600} s: $(ready)/$clusters ready" >&2
    k get rayclusters -n "$ns" | grep -v ' ready ' >&2 || true
    exit 1
  fi
  sleep 0.5
done
done_at=$(date +%s.%N)
sleep 2
after=$(rss_kb)
pods=$((clusters * (workers + 1)))

calc() { awk "BEGIN { print $1 }"; }
printf 'clusters %d, pods %d\n' "$clusters" "$pods"
printf 'apply took %.1f s; all Ready %.1f s after the apply\n' \
  "$(calc "$applied - $start")" "$(calc "$done_at - $applied")"
printf 'operator RSS: %.1f MB idle, %.1f MB managing %d pods: %.1f KB per pod\n' \
  "$(calc "$base / 1024")" "$(calc "$after / 1024")" "$pods" "$(calc "($after - $base) / $pods")"
printf 'operator CPU time: %s s\n' "$(ps -o cputime= -p "$op")"
