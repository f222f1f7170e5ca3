#!/usr/bin/env bash
# Configures and builds the project into build/ (or $BUILD_DIR). Extra arguments are targets.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
"$repo/scripts/install-deps.sh"
build_dir=${BUILD_DIR:-$repo/build}
jobs=${JOBS:-2}
cmake -S "$repo" -B "$build_dir" -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" \
  ${CMAKE_ARGS:-} >/dev/null
if [ $# -gt 0 ]; then
  for t in "$@"; do cmake --build "$build_dir" -j "$jobs" --target "$t"; done
else
  cmake --build "$build_dir" -j "$jobs"
fi
