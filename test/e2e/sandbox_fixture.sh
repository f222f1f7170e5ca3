#!/usr/bin/env bash
# The end-to-end tests' sandbox: `up` brings up the instance "e2e" (building Kubernetes on
# first use) and installs the CRD; `down` stops it and wipes its state.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
instance=${E2E_INSTANCE:-e2e}
build_dir=${E2E_BUILD_DIR:-$repo/build}
# A second instance runs without the API server's watch cache: there, a watch resumed from a
# version etcd has compacted away is answered 410 Gone, as a production server does once its
# cache no longer reaches back that far (the 1.20 cache answers such a watch with events).
nocache=$instance-nocache
bring_up() {
  local name=$1 kubeconfig_line
  "$repo/sandbox/down" "$name" --wipe >/dev/null 2>&1 || true
  kubeconfig_line=$("$repo/sandbox/up" "$name" | tail -n 1)
  eval "$kubeconfig_line"
  kubectl apply -f "$repo/crds/ray.io_rayclusters.yaml" 2>/dev/null
  "$repo/scripts/wait-established" rayclusters.ray.io
}
case ${1:-} in
  up)
    export RAY_OPERATOR_KUBELET_SIM=${RAY_OPERATOR_KUBELET_SIM:-$build_dir/sandbox/kubelet_sim/kubelet-sim}
    # Room for the largest tests (a 20-worker cluster, 30 large clusters) beside the others.
    export RAY_OPERATOR_KUBELET_SIM_ARGS=${RAY_OPERATOR_KUBELET_SIM_ARGS:---nodes 4 --node-cpu 64 --node-memory 256Gi}
    bring_up "$instance"
    SANDBOX_APISERVER_ARGS=--watch-cache=false bring_up "$nocache"
    ;;
  down)
    "$repo/sandbox/down" "$nocache" --wipe
    "$repo/sandbox/down" "$instance" --wipe
    ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
