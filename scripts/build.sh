#!/usr/bin/env bash
# Configures and builds the project into build/ (or $BUILD_DIR). Extra arguments are targets.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
"$repo/scripts/install-deps.sh"
build_dir=${BUILD_DIR:-$repo/build}
jobs=${JOBS:-2}
# Debug information at -g1 (line tables and functions: what backtraces, gdb's `bt`, perf and
# heaptrack read): full -g makes the build a quarter slower for the local variables alone.
# A -D in CMAKE_ARGS comes later and wins.
cmake -S "$repo" -B "$build_dir" -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" -DCMAKE_CXX_FLAGS_DEBUG="-g1" \
  ${CMAKE_ARGS:-} >/dev/null
if [ $# -gt 0 ]; then
  cmake --build "$build_dir" -j "$jobs" --target "$@"  # together: one target's link overlaps another's compiles
else
  cmake --build "$build_dir" -j "$jobs"
fi
