# Helpers of bench/run.sh: a sandbox of its own, the operator under test, RayClusters in bulk,
# and the figures read from /proc and from the operator's /metrics. Sourced, not run.

bench_sandbox_up() {  # PODS: nodes enough for that many of the benchmarks' pods
  local pods=$1
  export RAY_OPERATOR_KUBELET_SIM=$build_dir/sandbox/kubelet_sim/kubelet-sim
  # Big nodes, so that their heartbeats (a lease renewal per node every 10 s) stay a small part
  # of what the API server handles at the largest loads. A worker pod's containers ask for 100m
  # and 256Mi, but its init container (wait-gcs-ready, as KubeRay's) for 200m, and a pod is
  # charged the larger: 1,000 of them take 200 CPUs and 256 GiB.
  export RAY_OPERATOR_KUBELET_SIM_ARGS="--nodes $((pods / 1000 + 2)) --node-pods 1000 --node-cpu 256 --node-memory 512Gi"
  "$repo/sandbox/down" bench --wipe >/dev/null 2>&1 || true
  eval "$("$repo/sandbox/up" bench 2>/dev/null | tail -n 1)"
  export KUBECONFIG
  k apply -f "$repo/crds/ray.io_rayclusters.yaml" >/dev/null
  "$repo/scripts/wait-established" rayclusters.ray.io
  audit_log=$HOME/.local/state/ray-operator/sandbox/bench/logs/audit.log
}
bench_sandbox_down() { "$repo/sandbox/down" bench --wipe >/dev/null 2>&1 || true; }

k() { kubectl "$@" 2> >(grep -v -i 'version difference\|skew' >&2); }
calc() { awk "BEGIN { print $1 }"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# Polls "$@" every 0.2 s until it succeeds; fails after $1 seconds.
wait_until() {
  local limit=$1 deadline
  shift
  deadline=$((SECONDS + limit))
  until "$@"; do
    ((SECONDS < deadline)) || { echo "bench: gave up after $limit s waiting for: $*" >&2; return 1; }
    sleep 0.2
  done
}

# The operator under test, watching NAMESPACE; its pid in $op, its ports in $op_metrics and
# $op_health. Extra arguments are its flags (default: --qps 0, the client-side limiter off).
operator_start() {
  local ns=$1
  shift
  op_metrics=$(free_port)
  op_health=$(free_port)
  op_log=$(mktemp)
  op_started=$(date +%s.%N)
  "$build_dir/app/ray-operator" --namespaces "$ns" --metrics-addr "127.0.0.1:$op_metrics" \
    --health-addr "127.0.0.1:$op_health" "${@:---qps 0}" >"$op_log" 2>&1 &
  op=$!
  wait_until 60 operator_ready || { cat "$op_log" >&2; return 1; }
  op_ready=$(date +%s.%N)
}
operator_ready() {
  kill -0 "$op" 2>/dev/null || { cat "$op_log" >&2; return 2; }
  curl -fsS "http://127.0.0.1:$op_health/readyz" >/dev/null 2>&1
}
operator_stop() {  # SIGNAL (default TERM)
  [ -n "${op:-}" ] || return 0
  kill -"${1:-TERM}" "$op" 2>/dev/null || true
  wait "$op" 2>/dev/null || true
  rm -f "$op_log"
  op=
}
rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$op/status"; }
cpu_s() { awk '{ print ($14 + $15) / 100 }' "/proc/$op/stat"; }
metrics() { curl -fsS "http://127.0.0.1:$op_metrics/metrics"; }
# Completed API requests whose verb matches the regular expression $1.
requests_of() {
  metrics | awk -v v="$1" '/^ray_operator_api_requests_total\{/ {
      if (match($0, /verb="[a-z]+"/) && substr($0, RSTART + 6, RLENGTH - 7) ~ ("^(" v ")$")) n += $NF }
    END { printf "%d\n", n }'
}
writes() { requests_of 'create|update|patch|delete'; }
reconciles() { metrics | awk '/^ray_operator_reconciles_total\{/ { n += $NF } END { printf "%d\n", n }'; }
reconciled_at_least() { [ "$(reconciles)" -ge "$1" ]; }
# Changes the operator's watches of resource $1 (pods, rayclusters, ...) have delivered.
watch_events() {
  metrics | awk -v r="$1" '/^ray_operator_watch_events\{/ && index($0, "resource=\"" r "\"") { n += $NF }
    END { printf "%d\n", n }'
}
# The operator's writes in the API server's audit log (its User-Agent names it).
audited_writes() { grep -c '"userAgent":"ray-operator/' "$audit_log" 2>/dev/null || echo 0; }

# COUNT RayClusters PREFIX1..PREFIXn with one group of REPLICAS workers (at most MAX).
manifests() {
  local prefix=$1 count=$2 replicas=$3 max=$4 i
  for i in $(seq 1 "$count"); do
    cat <<YAML
apiVersion: ray.io/v1
kind: RayCluster
metadata: {name: $prefix$i}
spec:
  rayVersion: "2.9.0"
  headGroupSpec:
    template:
      spec:
        containers:
        - {name: ray-head, image: rayproject/ray:2.9.0, resources: {limits: {cpu: 100m, memory: 256Mi}}}
  workerGroupSpecs:
  - groupName: w
    replicas: $replicas
    minReplicas: 0
    maxReplicas: $max
    template:
      spec:
        containers:
        - {name: ray-worker, image: rayproject/ray:2.9.0, resources: {limits: {cpu: 100m, memory: 256Mi}}}
---
YAML
  done
}
# Clusters of NAMESPACE (named PREFIX..., when given) that are Ready for their current spec.
ready_clusters() {
  k get rayclusters -n "$1" -o json | jq --arg p "${2:-}" '[.items[] | select(.metadata.name | startswith($p))
       | select(.status.observedGeneration == .metadata.generation)
       | select(.status.conditions // [] | any(.type == "Ready" and .status == "True"))] | length'
}
# NAMESPACE COUNT [PREFIX]: waits (up to 1800 s) until COUNT clusters (named PREFIX...) are Ready.
wait_ready() {
  local ns=$1 count=$2 prefix=${3:-} limit=1800 deadline
  deadline=$((SECONDS + limit))
  until [ "$(ready_clusters "$ns" "$prefix")" = "$count" ]; do
    ((SECONDS < deadline)) || {
      echo "bench: $count clusters not Ready within $limit s" >&2
      explain_stall "$ns"
      return 1
    }
    sleep 2
  done
}
# What a stalled wait saw: the nodes' Ready condition, the pods by phase, the simulator's and
# the operator's last words; so that a run that fails says which side stopped.
explain_stall() {
  {
    echo "bench: $(ready_clusters "$1") clusters Ready; nodes by Ready condition:"
    k get nodes -o json | jq -r '.items[] | .status.conditions[] | select(.type == "Ready") | .status' |
      sort | uniq -c
    echo "bench: pods of $1 by phase (and Ready):"
    k get pods -n "$1" -o json | jq -r '.items[] | .status.phase + " " +
      ([.status.conditions // [] | .[] | select(.type == "Ready") | .status] | first // "-")' |
      sort | uniq -c
    echo "bench: the kubelet simulator's last lines:"
    tail -n 5 "${audit_log%/*}/kubelet-sim.log" 2>/dev/null
    echo "bench: the operator's last lines:"
    tail -n 5 "${op_log:-/dev/null}" 2>/dev/null
  } >&2 || true
}
# NAMESPACE COUNT: waits (up to 900 s) until COUNT pods of NAMESPACE are Running.
wait_running() {
  local deadline=$((SECONDS + 900))
  until [ "$(k get pods -n "$1" --field-selector=status.phase=Running -o name | wc -l)" -ge "$2" ]; do
    ((SECONDS < deadline)) || { echo "bench: $2 pods of $1 not Running within 900 s" >&2; return 1; }
    sleep 1
  done
}
# The kubelet simulator's busiest 10 s so far: the most pods it started per second (its log).
simulator_peak() {
  grep -o 'and [0-9.]* started per second' "${audit_log%/*}/kubelet-sim.log" 2>/dev/null |
    awk '$2 > m { m = $2 } END { printf "%.1f\n", m }'
}
# NAMESPACE PREFIX COUNT REPLICAS MAX: creates the clusters and waits until they are Ready.
clusters_up() {
  manifests "$2" "$3" "$4" "$5" | k create -n "$1" -f - >/dev/null
  wait_ready "$1" "$3" "$2"
}
bench_client() { "$build_dir/bench/bench-client" "$@"; }
# `key value` lines of bench-client, as shell variables PREFIX_key=value.
read_figures() {
  local prefix=$1 key value
  while read -r key value; do
    case $key in *latencies_ms) continue ;; esac
    printf -v "${prefix}_$key" '%s' "$value"
  done
}
