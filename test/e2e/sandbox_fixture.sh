#!/usr/bin/env bash
# The end-to-end tests' sandbox: `up` brings up the instance "e2e" (building Kubernetes on
# first use) and installs the CRD; `down` stops it and wipes its state.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
instance=${E2E_INSTANCE:-e2e}
build_dir=${E2E_BUILD_DIR:-$repo/build}
case ${1:-} in
  up)
    export RAY_OPERATOR_KUBELET_SIM=${RAY_OPERATOR_KUBELET_SIM:-$build_dir/sandbox/kubelet_sim/kubelet-sim}
    # Room for the largest test (a 20-worker cluster) beside the others.
    export RAY_OPERATOR_KUBELET_SIM_ARGS=${RAY_OPERATOR_KUBELET_SIM_ARGS:---nodes 4 --node-cpu 16 --node-memory 64Gi}
    "$repo/sandbox/down" "$instance" --wipe >/dev/null 2>&1 || true
    kubeconfig_line=$("$repo/sandbox/up" "$instance" | tail -n 1)
    eval "$kubeconfig_line"
    kubectl apply -f "$repo/crds/ray.io_rayclusters.yaml" 2>/dev/null
    kubectl wait --for=condition=Established crd/rayclusters.ray.io --timeout=60s 2>/dev/null
    ;;
  down) "$repo/sandbox/down" "$instance" --wipe ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
