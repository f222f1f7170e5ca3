#!/usr/bin/env bash
# The main job on the embedded default: builds the operator, brings up the sandbox (a real
# Kubernetes control plane on 127.0.0.1), installs the CRD, starts the operator, applies the
# examples (the seed's RayCluster first), and shows what was created and the clusters' status.
#
#   scripts/run.sh          do all that (again: it reuses what is already up)
#   scripts/run.sh stop     stop the operator and the sandbox
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${BUILD_DIR:-$repo/build}
instance=${RAY_OPERATOR_INSTANCE:-default}
state=${RAY_OPERATOR_STATE:-$HOME/.local/state/ray-operator}/sandbox/$instance
pid_file=$state/ray-operator.pid
log_file=$state/logs/ray-operator.log

say() { printf '\n== %s\n' "$*"; }
operator_running() { [ -f "$pid_file" ] && kill -0 "$(cat "$pid_file")" 2>/dev/null; }
k() { kubectl "$@" 2> >(grep -v -i 'version difference\|skew' >&2); }

if [ "${1:-}" = stop ]; then
  if operator_running; then kill "$(cat "$pid_file")"; fi
  rm -f "$pid_file"
  "$repo/sandbox/down" "$instance"
  exit 0
fi

say "building"
"$repo/scripts/build.sh" ray-operator kubelet-sim

say "bringing up the sandbox '$instance' (the first time builds Kubernetes: several minutes)"
export RAY_OPERATOR_KUBELET_SIM=$build_dir/sandbox/kubelet_sim/kubelet-sim
eval "$("$repo/sandbox/up" "$instance" | tail -n 1)"
export KUBECONFIG

say "installing the RayCluster CRD"
k apply -f "$repo/crds/ray.io_rayclusters.yaml"
"$repo/scripts/wait-established" rayclusters.ray.io

say "starting the operator (log: $log_file)"
if operator_running; then
  echo "already running (pid $(cat "$pid_file"))"
else
  mkdir -p "$(dirname "$log_file")"
  nohup "$build_dir/app/ray-operator" >>"$log_file" 2>&1 </dev/null &
  echo $! >"$pid_file"
  echo "started (pid $!)"
fi

say "applying the examples"
k apply -f "$repo/examples/raycluster-seed.yaml"
for f in "$repo"/examples/*.yaml; do
  [ "$f" = "$repo/examples/raycluster-seed.yaml" ] || k apply -f "$f"
done

say "waiting for the seed's cluster to be Ready"
k wait --for=condition=Ready raycluster/basic-ray-cluster --timeout=180s

say "what was created"
k get rayclusters -o wide
k get statefulsets,pods,services,serviceaccounts,roles,rolebindings -l ray.io/cluster=basic-ray-cluster -o wide
say "status of basic-ray-cluster"
k get raycluster basic-ray-cluster -o jsonpath='{.status}' | jq .
say "events of basic-ray-cluster"
k describe raycluster basic-ray-cluster | sed -n '/^Events:/,$p'

cat <<EOT

The sandbox and the operator keep running. Try:
  export KUBECONFIG=$KUBECONFIG
  kubectl get rayclusters
  kubectl patch raycluster basic-ray-cluster --type=json \\
    -p '[{"op":"replace","path":"/spec/workerGroupSpecs/0/replicas","value":3}]'
Stop everything with: scripts/run.sh stop
EOT
