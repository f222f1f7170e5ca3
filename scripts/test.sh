#!/usr/bin/env bash
# Runs every test: installs what is missing, builds, then runs the suite with ctest, which
# names each test case as it runs. Extra arguments go to ctest (e.g. -L unit, -R watch).
# TEST_JOBS (default 3) tests run at once: the end-to-end tests spend most of their time waiting
# on the sandbox, each in its own namespace; those that take the whole sandbox down, the soak
# and the benchmarks run alone (RUN_SERIAL in test/CMakeLists.txt).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${BUILD_DIR:-$repo/build}
"$repo/scripts/build.sh"
cd "$build_dir"
ctest --output-on-failure --timeout 600 -j "${TEST_JOBS:-3}" "$@"
