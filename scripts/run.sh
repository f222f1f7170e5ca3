#!/usr/bin/env bash
# The main job on the embedded default: builds the operator and shows what it offers.
# (Bringing up the sandbox and reconciling the seed's RayCluster comes with the operator itself.)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${BUILD_DIR:-$repo/build}
"$repo/scripts/build.sh" ray-operator
"$build_dir/app/ray-operator" --version
"$build_dir/app/ray-operator" --help
