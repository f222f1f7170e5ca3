# shellcheck shell=bash disable=SC2034
# Shared by the helm_*.sh tests; sourced after lib.sh, not a test of its own. It drives the
# chart with the project's pinned helm, and runs the operator binary on the host the way the
# chart's Deployment runs it in a pod: the same arguments, in-cluster configuration, and the
# chart's ServiceAccount token, so the chart's RBAC is what the API server checks.

CHART=$E2E_REPO/charts/ray-operator
E2E_TMP=$(mktemp -d "${TMPDIR:-/tmp}/$E2E_CASE.XXXXXX")
# helm keeps a cache and a repository list; tests must not touch the user's.
export HELM_CACHE_HOME=$E2E_TMP/helm/cache HELM_CONFIG_HOME=$E2E_TMP/helm/config \
  HELM_DATA_HOME=$E2E_TMP/helm/data

RELEASES=()  # "release namespace", uninstalled at exit
EXTRA_NS=()  # namespaces beyond $NS, deleted at exit
declare -A HOST_OP_PID=()

helm() { "$E2E_REPO/sandbox/helm" "$@"; }

# Release names are unique per test run: the ClusterRole and its binding are cluster-scoped,
# and tests run side by side.
release_name() { echo "${1}-${NS##*-}"; }

track_release() { RELEASES+=("$1 $2"); }
# After a test's own uninstall, so the exit trap does not repeat it.
forget_releases() { RELEASES=(); }

# extra_namespace NAME — not in a command substitution: the subshell would lose the record.
extra_namespace() {
  k create namespace "$1" >/dev/null
  EXTRA_NS+=("$1")
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

API_PORT=$(k config view --minify -o jsonpath='{.clusters[0].cluster.server}')
API_PORT=${API_PORT##*:}

# sa_dir DIR NAMESPACE SERVICEACCOUNT — what the kubelet would mount into the operator's pod.
sa_dir() {
  local dir=$1 ns=$2 sa=$3
  mkdir -p "$dir"
  k create token "$sa" -n "$ns" --duration=1h >"$dir/token" || fail "no token for $ns/$sa"
  k config view --raw --minify --flatten -o jsonpath='{.clusters[0].cluster.certificate-authority-data}' |
    base64 -d >"$dir/ca.crt"
  printf '%s' "$ns" >"$dir/namespace"
  if [ ! -s "$dir/token" ] || [ ! -s "$dir/ca.crt" ]; then fail "incomplete service-account directory $dir"; fi
}

# deployment_args NAMESPACE DEPLOYMENT — the container's arguments, as a JSON array.
deployment_args() {
  k get deployment "$2" -n "$1" -o jsonpath='{.spec.template.spec.containers[0].args}'
}

# host_args JSON METRICS_PORT HEALTH_PORT — the arguments NUL-separated, with the listen
# addresses moved to 127.0.0.1 (the host runs other things on :8080); one that is off stays off.
host_args() {
  jq -j --arg m "127.0.0.1:$2" --arg h "127.0.0.1:$3" '.[]
    | if startswith("--metrics-addr=") and . != "--metrics-addr=0" then "--metrics-addr=\($m)"
      elif startswith("--health-addr=") and . != "--health-addr=0" then "--health-addr=\($h)"
      else . end
    | . + "\u0000"' <<<"$1"
}

# start_host_operator NAME SA_DIR POD_NAME POD_NAMESPACE ARGS... — in-cluster mode, as in a
# pod: no kubeconfig, the service host and port, the service-account directory.
start_host_operator() {
  local name=$1 dir=$2 pod=$3 pod_ns=$4
  shift 4
  local log="$E2E_LOGS/$E2E_CASE-$name.log"
  : >"$log"
  env -u KUBECONFIG KUBERNETES_SERVICE_HOST=127.0.0.1 KUBERNETES_SERVICE_PORT="$API_PORT" \
    RAY_OPERATOR_SERVICE_ACCOUNT_DIR="$dir" POD_NAME="$pod" POD_NAMESPACE="$pod_ns" \
    "$E2E_BUILD_DIR/app/ray-operator" "$@" >>"$log" 2>&1 &
  HOST_OP_PID[$name]=$!
  say "operator $name: pid ${HOST_OP_PID[$name]}, log $log"
}

# running PID — true while the process exists and has not exited (a child that exited stays a
# zombie until waited for, and kill -0 still reaches it).
running() {
  local st
  st=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
  [ -n "$st" ] && [[ $st != Z* ]]
}

# stop_host_operator NAME [SIGNAL [GRACE]] — signals the operator and reaps it; one still running
# after GRACE seconds (default 10, the chart's terminationGracePeriodSeconds) is killed, as the
# kubelet would, and the function then fails (status 1) so a test can insist on a clean stop.
stop_host_operator() {
  local name=$1 sig=${2:-TERM} grace=${3:-10} pid=${HOST_OP_PID[$1]:-} rc=0
  [ -n "$pid" ] || return 0
  kill "-$sig" "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + grace))
  while running "$pid" && ((SECONDS < deadline)); do sleep 0.2; done
  if running "$pid"; then
    say "operator $name still running ${grace}s after SIG$sig; killing it"
    kill -KILL "$pid" 2>/dev/null || true
    rc=1
  fi
  wait "$pid" 2>/dev/null || true
  unset "HOST_OP_PID[$name]"
  return $rc
}

host_operator_alive() { [ -n "${HOST_OP_PID[$1]:-}" ] && running "${HOST_OP_PID[$1]}"; }

host_log() { echo "$E2E_LOGS/$E2E_CASE-$1.log"; }
host_writes() { grep -c ' write ' "$(host_log "$1")" || true; }

# warning_events NAMESPACE — "reason: message" of each Warning Event about a RayCluster.
warning_events() {
  k get events -n "$1" --field-selector type=Warning,involvedObject.kind=RayCluster \
    -o jsonpath='{range .items[*]}{.reason}: {.message}{"\n"}{end}'
}

http_ok() { curl -fsS --max-time 2 -o /dev/null "$1" 2>/dev/null; }

# wait_host_http NAME SECONDS URL — like wait_until, but an operator that exited fails at once.
wait_host_http() {
  local name=$1 secs=$2 url=$3
  local deadline=$((SECONDS + secs))
  until http_ok "$url"; do
    host_operator_alive "$name" || fail "operator $name exited before $url answered"
    ((SECONDS < deadline)) || fail "no answer from $url within ${secs}s"
    sleep 0.2
  done
}

# rbac_triples — "group/resource verb" per line, sorted, from a Role or ClusterRole on stdin.
rbac_triples() {
  jq -r '.rules[] | .apiGroups[] as $g | .resources[] as $r | .verbs[] as $v | "\($g)/\($r) \($v)"' | sort
}

# What the operator uses, and nothing else (docs/install.md explains each).
expected_operator_rules() {
  sort <<'EOF'
ray.io/rayclusters get
ray.io/rayclusters list
ray.io/rayclusters watch
ray.io/rayclusters patch
ray.io/rayclusters/status get
ray.io/rayclusters/status patch
ray.io/rayclusters/status update
/pods get
/pods list
/pods watch
/pods create
/pods delete
/pods patch
/pods/resize patch
/services get
/services list
/services watch
/services create
/services patch
/services delete
/secrets get
/secrets list
/secrets watch
/secrets create
/persistentvolumeclaims get
/persistentvolumeclaims list
/persistentvolumeclaims watch
/persistentvolumeclaims create
cert-manager.io/issuers get
cert-manager.io/issuers list
cert-manager.io/issuers watch
cert-manager.io/issuers create
cert-manager.io/issuers patch
cert-manager.io/issuers delete
cert-manager.io/certificates get
cert-manager.io/certificates list
cert-manager.io/certificates watch
cert-manager.io/certificates create
cert-manager.io/certificates patch
cert-manager.io/certificates delete
networking.k8s.io/ingresses get
networking.k8s.io/ingresses list
networking.k8s.io/ingresses watch
networking.k8s.io/ingresses create
networking.k8s.io/ingresses patch
networking.k8s.io/ingresses delete
networking.k8s.io/networkpolicies get
networking.k8s.io/networkpolicies list
networking.k8s.io/networkpolicies watch
networking.k8s.io/networkpolicies create
networking.k8s.io/networkpolicies patch
networking.k8s.io/networkpolicies delete
/serviceaccounts get
/serviceaccounts list
/serviceaccounts watch
/serviceaccounts create
/serviceaccounts patch
/events create
/events patch
apps/statefulsets get
apps/statefulsets list
apps/statefulsets watch
apps/statefulsets create
apps/statefulsets patch
apps/statefulsets delete
apps/deployments get
apps/deployments list
apps/deployments watch
apps/deployments create
apps/deployments patch
apps/deployments delete
autoscaling/horizontalpodautoscalers get
autoscaling/horizontalpodautoscalers list
autoscaling/horizontalpodautoscalers watch
autoscaling/horizontalpodautoscalers create
autoscaling/horizontalpodautoscalers patch
autoscaling/horizontalpodautoscalers delete
rbac.authorization.k8s.io/roles get
rbac.authorization.k8s.io/roles list
rbac.authorization.k8s.io/roles watch
rbac.authorization.k8s.io/roles create
rbac.authorization.k8s.io/roles patch
rbac.authorization.k8s.io/rolebindings get
rbac.authorization.k8s.io/rolebindings list
rbac.authorization.k8s.io/rolebindings watch
rbac.authorization.k8s.io/rolebindings create
rbac.authorization.k8s.io/rolebindings patch
EOF
}

# can SA_NAMESPACE SA VERB RESOURCE [kubectl auth can-i options...] — exit status only.
can() {
  local ns=$1 sa=$2
  shift 2
  [ "$(k auth can-i --as="system:serviceaccount:$ns:$sa" "$@" 2>/dev/null)" = yes ]
}
assert_can() { can "$@" || fail "the operator's ServiceAccount cannot: ${*:3}"; }
assert_cannot() { ! can "$@" || fail "the operator's ServiceAccount can, but must not: ${*:3}"; }

helm_cleanup() {
  local rc=$?
  local name
  for name in "${!HOST_OP_PID[@]}"; do
    if ((rc != 0)); then
      say "--- operator $name log (tail)"
      tail -30 "$(host_log "$name")" 2>/dev/null || true
    fi
    stop_host_operator "$name" TERM || true
  done
  local r
  for r in "${RELEASES[@]}"; do
    # shellcheck disable=SC2086
    set -- $r
    helm uninstall "$1" -n "$2" >/dev/null 2>&1 || true
  done
  local ns
  for ns in "${EXTRA_NS[@]}"; do k delete namespace "$ns" --wait=false >/dev/null 2>&1 || true; done
  rm -rf "$E2E_TMP"
  # lib.sh's cleanup reads the exit status from $?; errexit must not act on it here.
  set +e
  (exit "$rc")
  cleanup
}
trap helm_cleanup EXIT
# A test stopped from outside (ctest's timeout) must not end as if it had passed.
trap 'fail "interrupted by a signal"' TERM INT
