#!/usr/bin/env bash
# Installs the Debian packages the build and the tests need. Idempotent: when everything is
# already installed it touches nothing (and does not even refresh the package lists).
set -euo pipefail

packages=(
  build-essential cmake g++ make pkg-config clang-format
  libcaf-dev libcpprest-dev libboost-dev libboost-program-options-dev nlohmann-json3-dev libyaml-cpp-dev libspdlog-dev catch2
  libssl-dev openssl ca-certificates prometheus-cpp-dev libhiredis-dev redis-server
  curl procps iproute2 python3 jq
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing: ${missing[*]}" >&2
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
if ! { "${sudo_cmd[@]}" apt-get update -qq &&
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
  cat "$log" >&2
  rm -f "$log"
  echo "installing packages failed" >&2
  exit 1
fi
rm -f "$log"
