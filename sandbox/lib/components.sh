# shellcheck shell=bash
# The control plane's components: how each is started and waited for. Shared by sandbox/up and
# sandbox/restart; sourced after lib/common.sh, never run.

# Components watched while waiting: one that exits meanwhile ends the wait at once.
WATCH=()

# Polls until "$@" succeeds. Fails at the deadline, or at once when a watched
# component has exited (its log says why).
wait_for() {
  local secs=$1 what=$2 deadline c
  shift 2
  deadline=$((SECONDS + secs))
  until "$@"; do
    for c in "${WATCH[@]}"; do
      if ! pid_of "$c" >/dev/null; then
        WAIT_ERROR="$c exited while waiting for $what"
        return 1
      fi
    done
    if ((SECONDS >= deadline)); then
      WAIT_ERROR="no $what within ${secs}s"
      return 1
    fi
    sleep 0.5
  done
}

startup_failed() {
  local c
  log "error: $1"
  for c in "${WATCH[@]}"; do
    log "---- last lines of $LOG_DIR/$c.log"
    tail -n 30 "$LOG_DIR/$c.log" >&2 2>/dev/null || true
  done
  log "logs: $LOG_DIR/"
  exit 1
}

etcd_healthy() {
  curl -fsS --max-time 2 "http://127.0.0.1:$ETCD_CLIENT_PORT/health" 2>/dev/null |
    jq -e '.health == "true"' >/dev/null 2>&1
}

# The token controller has given the default ServiceAccount its token
# secret: until then 1.20 refuses pods that use it.
default_sa_ready() {
  api_get /api/v1/namespaces/default/serviceaccounts/default |
    jq -e '(.secrets // []) | length > 0' >/dev/null 2>&1
}

# --- starting ------------------------------------------------------------------

spawn() {
  local name=$1 logf=$LOG_DIR/$1.log
  shift
  [[ ! -e $logf ]] || mv -f "$logf" "$logf.1"
  (
    # Only stdin, stdout and stderr go along: an inherited descriptor (one of
    # our locks, a caller's pipe) would stay open for the server's whole life.
    local fd
    for fd in /proc/"$BASHPID"/fd/*; do
      fd=${fd##*/}
      ((fd <= 2)) || eval "exec $fd>&-"
    done
    # A session of its own: a Ctrl-C or hang-up in the calling terminal does
    # not reach it. setsid execs in place here, so $! is the server's PID.
    exec setsid "$@" </dev/null >"$logf" 2>&1
  ) &
  local pid=$! i st
  printf '%s\n' "$pid" >"$PID_DIR/$name.pid"
  # Until it execs, the child is a copy of this shell, which pid_of (it knows a component by its
  # command line) would take for a component that exited: wait for the exec, or for its end.
  for ((i = 0; i < 200; i++)); do
    is_ours "$pid" && break
    st=$(sed 's/.*) //; s/ .*//' "/proc/$pid/stat" 2>/dev/null) || break
    [[ $st != Z ]] || break
    sleep 0.05
  done
  WATCH+=("$name")
  log "started $name (pid $pid)"
}

# The backend quota is raised from 2 GB to etcd's largest recommended (8 GB): the benchmarks'
# largest load (70,000 pods, each written a few times, between compactions) must not meet it.
start_etcd() {
  local peer=http://127.0.0.1:$ETCD_PEER_PORT client=http://127.0.0.1:$ETCD_CLIENT_PORT
  # etcd 3.4 refuses to start on arm64 unless told it is on purpose.
  [[ $(uname -m) != aarch64 ]] || export ETCD_UNSUPPORTED_ARCH=arm64
  spawn etcd etcd \
    --name "sandbox-$INSTANCE" \
    --data-dir "$STATE_DIR/etcd" \
    --listen-client-urls "$client" --advertise-client-urls "$client" \
    --listen-peer-urls "$peer" --initial-advertise-peer-urls "$peer" \
    --initial-cluster "sandbox-$INSTANCE=$peer" \
    --quota-backend-bytes=8589934592 \
    --logger zap --log-outputs stderr
  wait_for 30 "healthy etcd on $client" etcd_healthy || startup_failed "$WAIT_ERROR"
}

# Every write (and nothing else) is audited, at the Metadata level: who wrote what and when,
# with the client's User-Agent. Tests read it to tell which process wrote.
write_audit_policy() {
  cat >"$STATE_DIR/audit-policy.yaml.tmp" <<'EOF'
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: Metadata
  verbs: [create, update, patch, delete, deletecollection]
- level: None
EOF
  mv -f "$STATE_DIR/audit-policy.yaml.tmp" "$STATE_DIR/audit-policy.yaml"
}

start_apiserver() {
  local extra=()
  write_audit_policy
  # More flags for this start, e.g. --watch-cache=false for the tests that need a 410; kept
  # for sandbox/restart, which starts it again as it was.
  if [[ -n ${SANDBOX_APISERVER_ARGS+set} ]]; then
    printf '%s\n' "$SANDBOX_APISERVER_ARGS" >"$STATE_DIR/apiserver.args"
  elif [[ -r $STATE_DIR/apiserver.args ]]; then
    SANDBOX_APISERVER_ARGS=$(<"$STATE_DIR/apiserver.args")
  fi
  read -r -a extra <<<"${SANDBOX_APISERVER_ARGS:-}"
  spawn kube-apiserver "$KUBE_BIN_DIR/kube-apiserver" \
    --etcd-servers="http://127.0.0.1:$ETCD_CLIENT_PORT" \
    --bind-address=127.0.0.1 \
    --advertise-address=127.0.0.1 \
    --secure-port="$APISERVER_PORT" \
    --insecure-port=0 \
    --endpoint-reconciler-type=none \
    --cert-dir="$STATE_DIR/kube-apiserver" \
    --tls-cert-file="$PKI_DIR/apiserver.crt" \
    --tls-private-key-file="$PKI_DIR/apiserver.key" \
    --client-ca-file="$PKI_DIR/ca.crt" \
    --token-auth-file="$PKI_DIR/tokens.csv" \
    --authorization-mode=RBAC \
    --service-account-key-file="$PKI_DIR/sa.pub" \
    --service-account-signing-key-file="$PKI_DIR/sa.key" \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-cluster-ip-range=10.0.0.0/16 \
    --allow-privileged=true \
    --audit-policy-file="$STATE_DIR/audit-policy.yaml" \
    --audit-log-path="$LOG_DIR/audit.log" \
    --audit-log-format=json \
    --audit-log-maxsize=200 --audit-log-maxbackup=1 \
    "${extra[@]}"
  wait_for 120 "ready kube-apiserver on https://127.0.0.1:$APISERVER_PORT" apiserver_ready ||
    startup_failed "$WAIT_ERROR"
}

start_controller_manager() {
  spawn kube-controller-manager "$KUBE_BIN_DIR/kube-controller-manager" \
    --kubeconfig="$CM_KUBECONFIG_FILE" \
    --authentication-kubeconfig="$CM_KUBECONFIG_FILE" \
    --authorization-kubeconfig="$CM_KUBECONFIG_FILE" \
    --bind-address=127.0.0.1 \
    --port=0 \
    --secure-port="$CONTROLLER_MANAGER_PORT" \
    --cert-dir="$STATE_DIR/kube-controller-manager" \
    --service-account-private-key-file="$PKI_DIR/sa.key" \
    --root-ca-file="$PKI_DIR/ca.crt" \
    --cluster-signing-cert-file="$PKI_DIR/ca.crt" \
    --cluster-signing-key-file="$PKI_DIR/ca.key" \
    --use-service-account-credentials=true \
    --leader-elect=false
  wait_for 90 "token for the default ServiceAccount (kube-controller-manager)" default_sa_ready ||
    startup_failed "$WAIT_ERROR"
}


# The fault proxy (sandbox/fault_proxy, docs/sandbox.md) in front of the API server, with the
# server's own certificate, so a client's verification passes unchanged; built on first use. Its
# ports are chosen when it starts, and written where sandbox/up and tests read them.
start_fault_proxy() {
  local ports=$STATE_DIR/fault-proxy.ports
  if ! pid_of fault-proxy >/dev/null; then
    if [[ ! -x $FAULT_PROXY_BIN && -z ${RAY_OPERATOR_FAULT_PROXY:-} ]]; then
      log "building the fault proxy"
      "$REPO_DIR/scripts/build.sh" fault-proxy >"$LOG_DIR/fault-proxy-build.log" 2>&1 ||
        die "building the fault proxy failed; see $LOG_DIR/fault-proxy-build.log"
    fi
    rm -f "$ports"
    spawn fault-proxy "$FAULT_PROXY_BIN" --upstream "127.0.0.1:$APISERVER_PORT" \
      --ca "$PKI_DIR/ca.crt" --cert "$PKI_DIR/apiserver.crt" --key "$PKI_DIR/apiserver.key" \
      --ports-file "$ports"
    wait_for 15 "the fault proxy to listen" test -s "$ports" || return 1
  fi
  FAULT_PROXY_PORT=$(sed -n 's/^listen=//p' "$ports")
  FAULT_PROXY_CONTROL_PORT=$(sed -n 's/^control=//p' "$ports")
  sed "s|server: https://127.0.0.1:$APISERVER_PORT|server: https://127.0.0.1:$FAULT_PROXY_PORT|" \
    "$KUBECONFIG_FILE" >"$FAULT_PROXY_KUBECONFIG.tmp"
  mv -f "$FAULT_PROXY_KUBECONFIG.tmp" "$FAULT_PROXY_KUBECONFIG"
}
