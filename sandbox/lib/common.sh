# shellcheck shell=bash disable=SC2034,SC2174
# Shared by sandbox/up, sandbox/down and sandbox/helm. Sourced, never run.

SANDBOX_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
REPO_DIR=$(dirname "$SANDBOX_DIR")

KUBE_VERSION=v1.20.2

: "${HOME:=$(getent passwd "$(id -u)" | cut -d: -f6)}"
# Absolute paths matter: a process belongs to an instance when its command
# line mentions the instance's state directory, so the spelling must be stable.
CACHE_ROOT=$(realpath -m "${RAY_OPERATOR_CACHE:-$HOME/.cache/ray-operator}")
STATE_ROOT=$(realpath -m "${RAY_OPERATOR_STATE:-$HOME/.local/state/ray-operator}")
KUBE_BIN_DIR=$CACHE_ROOT/kubernetes/$KUBE_VERSION
KUBELET_SIM_BIN=${RAY_OPERATOR_KUBELET_SIM:-$REPO_DIR/build/sandbox/kubelet_sim/kubelet-sim}
FAULT_PROXY_BIN=${RAY_OPERATOR_FAULT_PROXY:-$REPO_DIR/build/sandbox/fault_proxy/fault-proxy}

# Start order; stopping goes the other way so nothing loses its server first.
COMPONENTS=(etcd kube-apiserver kube-controller-manager kubelet-sim fault-proxy)

# Temporary paths removed however the script ends.
CLEANUP_PATHS=()

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

cleanup_paths() {
  local p
  for p in "${CLEANUP_PATHS[@]}"; do rm -rf -- "$p"; done
  CLEANUP_PATHS=()
}

as_root() {
  if [[ $(id -u) -eq 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    die "root is needed for: $* (run as root or install sudo)"
  fi
}

APT_UPDATED=
pkg_installed() {
  # grep without -q: it must read all of dpkg's output, or pipefail could
  # report dpkg's SIGPIPE as a missing package.
  dpkg -s "$1" 2>/dev/null | grep '^Status: install ok installed' >/dev/null
}
ensure_packages() {
  local p missing=()
  for p in "$@"; do pkg_installed "$p" || missing+=("$p"); done
  ((${#missing[@]})) || return 0
  log "installing Debian packages: ${missing[*]}"
  if [[ -z $APT_UPDATED ]]; then
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    APT_UPDATED=1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends -o Dpkg::Use-Pty=0 "${missing[@]}" >&2
}

set_instance() {
  INSTANCE=$1
  [[ $INSTANCE =~ ^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$ ]] ||
    die "invalid instance name '$INSTANCE' (letters, digits, '.', '_', '-'; at most 63)"
  STATE_DIR=$STATE_ROOT/sandbox/$INSTANCE
  PKI_DIR=$STATE_DIR/pki
  LOG_DIR=$STATE_DIR/logs
  PID_DIR=$STATE_DIR/pids
  PORTS_FILE=$STATE_DIR/ports
  KUBECONFIG_FILE=$STATE_DIR/kubeconfig
  FAULT_PROXY_KUBECONFIG=$STATE_DIR/kubeconfig-fault-proxy
  CM_KUBECONFIG_FILE=$STATE_DIR/controller-manager.kubeconfig
}

# Serialises up/down of one instance. fd 8 is closed for every started
# component so a running server never holds the lock.
lock_instance() {
  mkdir -p "$STATE_ROOT/sandbox"
  mkdir -p -m 700 "$STATE_DIR"
  exec 8>"$STATE_DIR/.lock"
  if ! flock -n 8; then
    log "another sandbox command is working on instance '$INSTANCE'; waiting for it"
    flock 8
  fi
}

# --- processes ---------------------------------------------------------------

# True when the PID runs with this instance's state directory on its command
# line. Guards every signal: a recycled PID in a stale file is never touched.
is_ours() {
  local cmd
  cmd=$(tr '\0' '\n' 2>/dev/null <"/proc/$1/cmdline") || return 1
  [[ $cmd == *"$STATE_DIR/"* ]]
}

pid_of() {
  local f=$PID_DIR/$1.pid pid
  [[ -r $f ]] || return 1
  pid=$(<"$f")
  [[ $pid =~ ^[0-9]+$ ]] && is_ours "$pid" || return 1
  printf '%s\n' "$pid"
}

# Components left running without a PID file (a deleted pids/ directory, a
# crash of up between start and write). Matched by executable name and by
# this instance's state directory on the command line.
stray_pids() {
  local d pid exe sim
  sim=$(basename "$KUBELET_SIM_BIN")
  for d in /proc/[0-9]*; do
    pid=${d#/proc/}
    exe=$(readlink "$d/exe" 2>/dev/null) || continue
    exe=${exe% (deleted)}
    case ${exe##*/} in
      etcd | kube-apiserver | kube-controller-manager | kubelet-sim | fault-proxy | "$sim") ;;
      *) continue ;;
    esac
    is_ours "$pid" && printf '%s\n' "$pid"
  done
  return 0
}

signal_pid() {
  local sig=$1 pid=$2 stat rest pgrp
  # Components run as session leaders; signalling the whole group also
  # reaches anything a component started itself.
  stat=$(cat 2>/dev/null "/proc/$pid/stat") || return 0
  rest=${stat##*) }
  read -r _ _ pgrp _ <<<"$rest"
  if [[ $pgrp == "$pid" ]]; then
    kill -s "$sig" -- "-$pid" 2>/dev/null || true
  else
    kill -s "$sig" "$pid" 2>/dev/null || true
  fi
}

# TERM, wait up to $1 seconds, then KILL.
stop_pids() {
  local grace=$1 pid deadline alive
  shift
  (($#)) || return 0
  for pid in "$@"; do signal_pid TERM "$pid"; done
  deadline=$((SECONDS + grace))
  while :; do
    alive=()
    for pid in "$@"; do is_ours "$pid" && alive+=("$pid"); done
    ((${#alive[@]})) || return 0
    ((SECONDS < deadline)) || break
    sleep 0.2
  done
  log "still running after ${grace}s, killing: ${alive[*]}"
  for pid in "${alive[@]}"; do signal_pid KILL "$pid"; done
  deadline=$((SECONDS + 10))
  for pid in "${alive[@]}"; do
    while is_ours "$pid"; do
      ((SECONDS < deadline)) || { log "error: process $pid does not exit"; return 1; }
      sleep 0.1
    done
  done
}

# An exited component stays in the process table until its parent reaps it.
# Reap our own children; give init a moment for the rest, so a process
# listing right after `down` shows nothing of the instance.
await_reaped() {
  local pid stat rest ppid deadline=$((SECONDS + 3))
  for pid in "$@"; do
    while stat=$(cat 2>/dev/null "/proc/$pid/stat"); do
      rest=${stat##*) }
      read -r _ ppid _ <<<"$rest"
      if [[ $ppid == "$$" ]]; then
        wait "$pid" 2>/dev/null || true
        break
      fi
      ((SECONDS < deadline)) || break
      sleep 0.1
    done
  done
}

stop_instance() {
  local i c pid rc=0 strays stopped=()
  for ((i = ${#COMPONENTS[@]} - 1; i >= 0; i--)); do
    c=${COMPONENTS[i]}
    if pid=$(pid_of "$c"); then
      log "stopping $c (pid $pid)"
      stop_pids 20 "$pid" || rc=1
      stopped+=("$pid")
    fi
    rm -f "$PID_DIR/$c.pid"
  done
  mapfile -t strays < <(stray_pids)
  if ((${#strays[@]})); then
    log "stopping processes of instance '$INSTANCE' without PID file: ${strays[*]}"
    stop_pids 20 "${strays[@]}" || rc=1
    stopped+=("${strays[@]}")
  fi
  await_reaped "${stopped[@]}"
  return "$rc"
}

# --- ports and credentials ---------------------------------------------------

PORT_KEYS=(ETCD_CLIENT_PORT ETCD_PEER_PORT APISERVER_PORT CONTROLLER_MANAGER_PORT)

load_ports() {
  local k v
  ETCD_CLIENT_PORT='' ETCD_PEER_PORT='' APISERVER_PORT='' CONTROLLER_MANAGER_PORT=''
  [[ -r $PORTS_FILE ]] || return 1
  while IFS='=' read -r k v; do
    case $k in
      ETCD_CLIENT_PORT | ETCD_PEER_PORT | APISERVER_PORT | CONTROLLER_MANAGER_PORT)
        [[ $v =~ ^[0-9]+$ ]] && printf -v "$k" '%s' "$v" ;;
    esac
  done <"$PORTS_FILE"
  [[ -n $ETCD_CLIENT_PORT && -n $ETCD_PEER_PORT && -n $APISERVER_PORT && -n $CONTROLLER_MANAGER_PORT ]]
}

admin_token() { printf '%s' "$(<"$PKI_DIR/admin.token")"; }

# curl against the instance's apiserver as admin. The token goes in through a
# file descriptor so it never shows on a process list.
api_get() {
  local path=$1
  curl -sS --max-time 5 --cacert "$PKI_DIR/ca.crt" \
    -H @<(printf 'Authorization: Bearer %s\n' "$(admin_token)") \
    "https://127.0.0.1:$APISERVER_PORT$path" 2>/dev/null
}

apiserver_ready() { [[ $(api_get /readyz) == ok ]]; }
