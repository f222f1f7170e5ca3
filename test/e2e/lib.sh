# Shared by the end-to-end tests: they drive a real sandbox (kube-apiserver, etcd,
# kube-controller-manager, the kubelet simulator) with the real kubectl, as a user would.
# Each test runs in its own namespace with its own operator process watching only that
# namespace, so tests run side by side without seeing each other.
set -euo pipefail

E2E_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
E2E_BUILD_DIR=${E2E_BUILD_DIR:-$E2E_REPO/build}
E2E_INSTANCE=${E2E_INSTANCE:-e2e}
E2E_STATE=${RAY_OPERATOR_STATE:-$HOME/.local/state/ray-operator}/sandbox/$E2E_INSTANCE
E2E_LOGS=${E2E_LOGS:-$E2E_BUILD_DIR/e2e-logs}
export KUBECONFIG=$E2E_STATE/kubeconfig
mkdir -p "$E2E_LOGS"

E2E_CASE=$(basename "$0" .sh)
E2E_AUDIT=$E2E_STATE/logs/audit.log
NS=""
OP_PID=""
STEP=""
EXTRA_PIDS=()  # more processes of the test (a second operator, a proxy), stopped at the end
AFTER_CLEANUP=()  # commands run last, after the namespace goes (e.g. removing a test's CRDs)

# grep for a match, reading all its input: `grep -q` stops at the first match, and under
# pipefail the writer it leaves behind (killed by SIGPIPE) would fail the whole pipeline.
quiet_grep() { grep "$@" >/dev/null; }
export -f quiet_grep

say() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*"; }

# kubectl without its client/server version-skew warning (the sandbox is 1.20).
k() { kubectl "$@" 2> >(grep -v -i 'version difference\|skew' >&2); }

fail() {
  say "FAILED: ${STEP:+$STEP: }$*"
  if [ -n "$NS" ]; then
    say "--- objects in $NS"
    k get all,raycluster,events -n "$NS" -o wide 2>&1 | tail -60 || true
  fi
  if [ -n "$OP_PID" ] && [ -f "$E2E_LOGS/$E2E_CASE-operator.log" ]; then
    say "--- operator log (tail)"
    tail -40 "$E2E_LOGS/$E2E_CASE-operator.log" || true
  fi
  exit 1
}

step() {
  STEP=$*
  say "step: $*"
}

# wait_until SECONDS DESCRIPTION COMMAND... — polls COMMAND until it succeeds, failing at the
# deadline. Never a fixed sleep: the test goes on the moment the condition holds.
wait_until() {
  local secs=$1 what=$2
  shift 2
  local deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then fail "no $what within ${secs}s"; fi
    sleep 0.2
  done
}

# holds SECONDS DESCRIPTION COMMAND... — checks COMMAND keeps succeeding for SECONDS.
holds() {
  local secs=$1 what=$2
  shift 2
  local deadline=$((SECONDS + secs))
  while ((SECONDS < deadline)); do
    "$@" >/dev/null 2>&1 || fail "$what stopped holding"
    sleep 0.5
  done
}

assert_eq() {
  [ "$1" = "$2" ] || fail "${3:-value}: expected '$2', got '$1'"
}

# jsonpath of one object: get KIND NAME JSONPATH
get() { k get -n "$NS" "$1" "$2" -o "jsonpath=$3"; }

count_pods() {
  k get pods -n "$NS" -l "$1" --no-headers 2>/dev/null | grep -c . || true
}

new_namespace() {
  NS="e2e-${E2E_CASE//_/-}-$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  k create namespace "$NS" >/dev/null
  say "namespace $NS"
}

# Extra flags; by default the HTTP endpoints are off, so operators of concurrent tests never
# compete for a port (a test that needs them sets its own addresses here).
OPERATOR_HTTP_ARGS=${OPERATOR_HTTP_ARGS:---metrics-addr=0 --health-addr=0}
start_operator() {
  # shellcheck disable=SC2086
  "$E2E_BUILD_DIR/app/ray-operator" --namespaces "$NS" --log-level debug $OPERATOR_HTTP_ARGS "$@" \
    >>"$E2E_LOGS/$E2E_CASE-operator.log" 2>&1 &
  OP_PID=$!
}

stop_operator() {
  local sig=${1:-TERM}
  if [ -n "$OP_PID" ] && kill -0 "$OP_PID" 2>/dev/null; then
    kill "-$sig" "$OP_PID" 2>/dev/null || true
    wait "$OP_PID" 2>/dev/null || true
  fi
  OP_PID=""
}

cleanup() {
  local rc=$?
  stop_operator TERM
  local p
  for p in "${EXTRA_PIDS[@]}"; do
    kill "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  if [ -n "$NS" ]; then
    # With no operator left to run it, the Redis cleanup's finalizer would hold the namespace in
    # Terminating for good.
    local rc_name
    for rc_name in $(k get rayclusters -n "$NS" -o name 2>/dev/null); do
      k patch "$rc_name" -n "$NS" --type=merge -p '{"metadata":{"finalizers":null}}' >/dev/null 2>&1 || true
    done
    k delete namespace "$NS" --wait=false >/dev/null 2>&1 || true
  fi
  local command
  for command in "${AFTER_CLEANUP[@]}"; do eval "$command" >/dev/null 2>&1 || true; done
  if ((rc == 0)); then say "PASSED: $E2E_CASE"; else say "FAILED (exit code $rc) in step: $STEP"; fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 143' TERM INT  # a test killed by a timeout fails

[ -f "$KUBECONFIG" ] || fail "no sandbox '$E2E_INSTANCE' ($KUBECONFIG missing): run sandbox/up $E2E_INSTANCE"

# A small RayCluster: NAME REPLICAS [AUTOSCALING=false] [MIN=0] [MAX=10]
apply_cluster() {
  local name=$1 replicas=$2 autoscaling=${3:-false} min=${4:-0} max=${5:-10}
  k apply -n "$NS" -f - >/dev/null <<YAML
apiVersion: ray.io/v1
kind: RayCluster
metadata: {name: $name}
spec:
  rayVersion: "2.9.0"
  enableInTreeAutoscaling: $autoscaling
  headGroupSpec:
    rayStartParams: {}
  workerGroupSpecs:
  - groupName: workers
    replicas: $replicas
    minReplicas: $min
    maxReplicas: $max
    rayStartParams: {}
YAML
}

worker_pods() { k get pods -n "$NS" -l "ray.io/cluster=$1,ray.io/node-type=worker" -o name | sed 's|pod/||' | sort; }
live_worker_count() {
  k get pods -n "$NS" -l "ray.io/cluster=$1,ray.io/node-type=worker" \
    -o jsonpath='{range .items[*]}{.metadata.deletionTimestamp}{"|"}{end}' | tr '|' '\n' | grep -c '^$' || true
}
# Worker pods not being deleted, as a number; for wait_until.
workers_are() { [ "$(k get pods -n "$NS" -l "ray.io/cluster=$1,ray.io/node-type=worker" -o json | jq '[.items[] | select(.metadata.deletionTimestamp == null)] | length')" = "$2" ]; }
workers_running_are() { [ "$(k get pods -n "$NS" -l "ray.io/cluster=$1,ray.io/node-type=worker" -o json | jq '[.items[] | select(.metadata.deletionTimestamp == null and .status.phase == "Running")] | length')" = "$2" ]; }
cluster_condition() { get raycluster "$1" "{.status.conditions[?(@.type==\"$2\")].status}"; }
cluster_condition_is() { [ "$(cluster_condition "$1" "$2")" = "$3" ]; }
cluster_state_is() { [ "$(get raycluster "$1" '{.status.state}')" = "$2" ]; }
ready_cluster() { wait_until "${2:-90}" "RayCluster $1 Ready" cluster_condition_is "$1" Ready True; }
# Lines the operator logged for writes so far (its debug log names each write).
operator_writes() { grep -c ' write ' "$E2E_LOGS/$E2E_CASE-operator.log" || true; }

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Plays "in-cluster" from the host: a service-account directory with a TokenRequest token for
# ServiceAccount $1 in $NS, and the environment a pod would have. Prints the env assignments.
in_cluster_env() {
  local sa=$1 dir server
  dir=$(mktemp -d)
  k create token "$sa" -n "$NS" --duration=1h >"$dir/token"
  cp "$(k config view --minify --raw -o 'jsonpath={.clusters[0].cluster.certificate-authority}')" "$dir/ca.crt"
  printf '%s' "$NS" >"$dir/namespace"
  server=$(k config view --minify -o 'jsonpath={.clusters[0].cluster.server}')
  server=${server#https://}
  echo "KUBECONFIG= KUBERNETES_SERVICE_HOST=${server%:*} KUBERNETES_SERVICE_PORT=${server##*:} RAY_OPERATOR_SERVICE_ACCOUNT_DIR=$dir"
}

# The fault proxy (sandbox/fault_proxy) between an operator and the API server, this test's own:
# on command it cuts watches, answers errors, adds latency, drops requests or holds every
# connection (docs/sandbox.md). It terminates TLS with the API server's own certificate, so it
# acts on HTTP requests, never on a handshake. Sets PROXY_KUBECONFIG: the test's kubeconfig,
# through the proxy. `proxy /COMMAND?PARAMS` sends it a command; `proxy_status` reads it.
start_proxy() {  # [NAME]: a test with two proxies names them
  local server port pki=$E2E_STATE/pki files=$E2E_LOGS/$E2E_CASE-proxy${1:+-$1}
  server=$(k config view --minify -o 'jsonpath={.clusters[0].cluster.server}')
  port=${server##*:}
  rm -f "$files.ports"
  "$E2E_BUILD_DIR/sandbox/fault_proxy/fault-proxy" --upstream "127.0.0.1:$port" \
    --ca "$pki/ca.crt" --cert "$pki/apiserver.crt" --key "$pki/apiserver.key" \
    --ports-file "$files.ports" >>"$files.log" 2>&1 &
  EXTRA_PIDS+=("$!")
  wait_until 10 "the proxy to listen" test -s "$files.ports"
  PROXY_CONTROL=$(sed -n 's/^control=//p' "$files.ports")
  PROXY_KUBECONFIG=$files.kubeconfig
  sed "s|server: https://127.0.0.1:$port|server: https://127.0.0.1:$(sed -n 's/^listen=//p' "$files.ports")|" \
    "$KUBECONFIG" >"$PROXY_KUBECONFIG"
}
proxy() {
  local reply
  reply=$(curl -sS -X POST "http://127.0.0.1:$PROXY_CONTROL$1" 2>&1) || { say "proxy $1: $reply"; return 1; }
  [[ $reply == *'"ok":true'* ]] || { say "proxy $1: $reply"; return 1; }
}
proxy_status() { curl -fsS "http://127.0.0.1:$PROXY_CONTROL/status"; }

# The operator's own counters: metric NAME{LABELS} -> its value (0 when absent). Needs the
# operator started with OPERATOR_HTTP_ARGS naming METRICS_PORT.
metric() {
  curl -fsS "http://127.0.0.1:$METRICS_PORT/metrics" |
    awk -v m="$1" 'index($0, m) == 1 { v += $NF } END { printf "%d\n", v }'
}

# The API server's audit log (writes only, see sandbox/up), as JSON lines, of this test's
# namespace; optionally only those whose User-Agent contains $1.
audit() {
  jq -c --arg ns "$NS" --arg ua "${1:-}" \
    'select(.objectRef.namespace == $ns and (.userAgent | contains($ua)))' "$E2E_AUDIT"
}

# The RayClusters of the namespace that are Ready.
ready_clusters() {
  k get rayclusters -n "$NS" -o json |
    jq '[.items[] | select(.status.conditions // [] | any(.type == "Ready" and .status == "True"))] | length'
}
