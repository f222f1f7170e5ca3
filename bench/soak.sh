#!/usr/bin/env bash
# The chaos soak (docs/reliability.md): 20 RayClusters with in-tree autoscaling on (and one
# invalid on purpose), an operator behind the fault proxy that is SIGKILLed now and then (this
# script starts it again), and test/chaos's driver: autoscaler-style scale-ups and named
# scale-downs, user edits, pod failures through the kubelet simulator, random faults — with the
# invariant checker every second and a report at the end.
#
#   bench/soak.sh [MINUTES]       default 3; SOAK_SEED=N for another sequence of actions,
#                                 SOAK_OPERATOR_ARGS for the operator's flags (--log-level debug),
#                                 SOAK_METRICS_ADDR for its /metrics (default: off)
#
# It brings up a sandbox instance of its own ("soak", wiped before and after) and writes its
# report to $SOAK_OUT (default: a scratch directory), soak-report.json. Fails when an invariant
# was broken or the soak could not run.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${BUILD_DIR:-$repo/build}
minutes=${1:-3}
[[ $minutes =~ ^[0-9]+$ ]] && ((minutes > 0)) || { echo "usage: bench/soak.sh [MINUTES]" >&2; exit 2; }
out=${SOAK_OUT:-$(mktemp -d)}
mkdir -p "$out"
instance=soak
clusters=20
ns=soak

"$repo/scripts/build.sh" ray-operator kubelet-sim fault-proxy chaos >/dev/null
export RAY_OPERATOR_KUBELET_SIM=$build_dir/sandbox/kubelet_sim/kubelet-sim
export RAY_OPERATOR_FAULT_PROXY=$build_dir/sandbox/fault_proxy/fault-proxy
export RAY_OPERATOR_KUBELET_SIM_ARGS="--nodes 3 --node-cpu 64 --node-memory 256Gi"
state=${RAY_OPERATOR_STATE:-$HOME/.local/state/ray-operator}/sandbox/$instance
stop_file=$out/stop
runner=
down() {
  touch "$stop_file"
  cp "$state"/logs/*.log "$out/" 2>/dev/null || true  # the sandbox's logs stay with the report
  [ -z "$runner" ] || { kill "$runner" 2>/dev/null || true; wait "$runner" 2>/dev/null || true; }
  [ -f "$out/operator.pid" ] && kill "$(cat "$out/operator.pid")" 2>/dev/null || true
  "$repo/sandbox/down" "$instance" --wipe >/dev/null 2>&1 || true
}
trap down EXIT
"$repo/sandbox/down" "$instance" --wipe >/dev/null 2>&1 || true
eval "$("$repo/sandbox/up" --fault-proxy "$instance" 2>"$out/sandbox-up.log" | tail -n 1)"
export KUBECONFIG
k() { kubectl "$@" 2> >(grep -v -i 'version difference\|skew' >&2); }
k apply -f "$repo/crds/ray.io_rayclusters.yaml" >/dev/null
"$repo/scripts/wait-established" rayclusters.ray.io
k create namespace "$ns" >/dev/null
control=127.0.0.1:$(sed -n 's/^control=//p' "$state/fault-proxy.ports")

# The operator, through the proxy; started again whenever it dies (the driver SIGKILLs it).
rm -f "$stop_file"
(
  while [ ! -f "$stop_file" ]; do
    # shellcheck disable=SC2086
    "$build_dir/app/ray-operator" --kubeconfig "$state/kubeconfig-fault-proxy" --namespaces "$ns" \
      --metrics-addr="${SOAK_METRICS_ADDR:-0}" --health-addr=0 ${SOAK_OPERATOR_ARGS:-} \
      >>"$out/operator.log" 2>&1 &
    echo $! >"$out/operator.pid"
    wait $! || true
    echo "--- the operator exited; starting it again" >>"$out/operator.log"
    sleep 0.2  # an operator that cannot start at all is not restarted in a tight loop
  done
) 2>>"$out/runner.log" &
runner=$!

for i in $(seq 1 "$clusters"); do
  cat <<YAML
apiVersion: ray.io/v1
kind: RayCluster
metadata: {name: soak-$i, labels: {soak: "yes"}}
spec:
  rayVersion: "2.9.0"
  enableInTreeAutoscaling: true
  headGroupSpec:
    rayStartParams: {}
  workerGroupSpecs:
  - groupName: w
    replicas: 2
    minReplicas: 0
    maxReplicas: 8
    scaleStrategy: {workersToDelete: []}
    template:
      metadata: {annotations: {}}
      spec:
        containers:
        - {name: ray-worker, image: rayproject/ray:2.9.0, resources: {limits: {cpu: 100m, memory: 256Mi}}}
---
YAML
done | k apply -n "$ns" -f - >/dev/null
# One cluster broken on purpose: it must be reported, left alone, and hold no other back.
k apply -n "$ns" -f - >/dev/null <<YAML
apiVersion: ray.io/v1
kind: RayCluster
metadata: {name: soak-broken, labels: {chaos.ray-operator.dev/broken: "true"}}
spec:
  headGroupSpec: {rayStartParams: {}}
  workerGroupSpecs:
  - {groupName: w, replicas: 1, minReplicas: 3, maxReplicas: 2, rayStartParams: {}}
YAML
ready() {
  [ "$(k get rayclusters -n "$ns" -l soak=yes -o json |
    jq '[.items[] | select(.status.conditions // [] | any(.type == "Ready" and .status == "True"))] | length')" = "$clusters" ]
}
deadline=$((SECONDS + 300))
until ready; do
  ((SECONDS < deadline)) || { echo "soak: the clusters were not Ready within 300 s" >&2; exit 1; }
  sleep 1
done
echo "soak: $clusters clusters Ready; $minutes minutes of chaos"

rc=0
"$build_dir/test/chaos/chaos" soak "$ns" "$out/soak-report.json" $((minutes * 60)) "$control" \
  "$out/operator.pid" "${SOAK_SEED:-1}" 2>"$out/chaos.log" || rc=$?
[ -s "$out/soak-report.json" ] || { echo "soak: no report (chaos exited $rc); see $out/chaos.log" >&2; exit 1; }
jq -r '"soak: \(.soak.storms) storms; actions: \(.soak.actions | to_entries | map("\(.key) \(.value)") | join(", "))",
       "soak: \(.checks) invariant checks, \(.violations | length) violations; pods created \(.pods_created), deleted by reason \(.pods_deleted | tojson)",
       "soak: convergence after each storm (s): \(.convergence_seconds | map(. * 10 | round / 10) | tojson)"' \
  "$out/soak-report.json"
jq -r '.violations[] | "  \(.kind) [\(.cluster)]: \(.message)"' "$out/soak-report.json"
echo "soak: report in $out/soak-report.json"
exit "$rc"
