#!/usr/bin/env bash
# Runs every test: installs what is missing, builds, then runs the suite with ctest, which
# names each test case as it runs. Extra arguments go to ctest (e.g. -L unit, -R watch).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${BUILD_DIR:-$repo/build}
"$repo/scripts/build.sh"
cd "$build_dir"
ctest --output-on-failure --timeout 600 "$@"
