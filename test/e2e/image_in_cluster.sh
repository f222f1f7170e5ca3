#!/usr/bin/env bash
# The container image, built and run for real. scripts/image.sh builds it from the project's
# Dockerfile with buildah (its Debian base made from Debian's archive when no registry answers);
# then the image's own binary — run in the image's root filesystem by `buildah run --isolation
# chroot`, as the non-root user the chart's securityContext demands, with the chart's
# ServiceAccount token at the in-cluster path, KUBERNETES_SERVICE_HOST/PORT, and the installed
# Deployment's arguments — brings the seed's RayCluster to Ready. The image has no shell.
# Skipped (exit 77) only where buildah cannot be installed.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/helm_lib.sh"

TAG=localhost/ray-operator:e2e
SEED=$E2E_REPO/examples/raycluster-seed.yaml
C=basic-ray-cluster
export BUILDAH_ISOLATION=chroot

step "build the image with scripts/image.sh"
build_log=$E2E_LOGS/$E2E_CASE-build.log
# At the lowest CPU priority: the build (a compile) takes only what the tests beside it leave.
if ! nice -n 19 "$E2E_REPO/scripts/image.sh" "$TAG" >"$build_log" 2>&1; then
  if ! command -v buildah >/dev/null 2>&1; then
    say "SKIPPED: the container tools (Debian's buildah) cannot be installed on this machine:"
    tail -5 "$build_log"
    exit 77
  fi
  tail -30 "$build_log"
  fail "scripts/image.sh failed (log: $build_log)"
fi
say "built $TAG: $(buildah images --format '{{.Size}}' "$TAG" | head -1)"

step "the image: a numeric non-root user, the chart's; no shell; only the operator's files"
new_namespace
REL=$(release_name img)
FULL=$REL-ray-operator
SA=$FULL
image_user=$(buildah inspect --type image --format '{{.OCIv1.Config.User}}' "$TAG")
chart_user=$(helm template "$REL" "$CHART" -n "$NS" --show-only templates/deployment.yaml |
  k create --dry-run=client -o json -f - |
  jq -r '.spec.template.spec.securityContext | "\(.runAsUser):\(.runAsGroup)"')
assert_eq "$image_user" "$chart_user" "the image's user against the chart's runAsUser:runAsGroup"
[ "${image_user%%:*}" != 0 ] || fail "the image runs as root"
ctr=$(buildah from --quiet "$TAG")
AFTER_CLEANUP+=("buildah rm $ctr")
root=$(buildah mount "$ctr")
for sh in bin/sh bin/bash usr/bin/sh usr/bin/bash bin/busybox; do
  [ ! -e "$root/$sh" ] || fail "the image has a shell: /$sh"
done
[ -x "$root/usr/local/bin/ray-operator" ] || fail "no /usr/local/bin/ray-operator in the image"
say "image files: $(cd "$root" && find . -type f | wc -l); packages its libraries come from:" \
  "$(tr '\n' ' ' <"$root/usr/share/doc/ray-operator/packages")"

step "helm install with the image, and the chart's ServiceAccount token where a pod has it"
helm install "$REL" "$CHART" -n "$NS" --set image.repository=localhost/ray-operator \
  --set image.tag=e2e >/dev/null || fail "helm install"
track_release "$REL" "$NS"
ARGS=$(deployment_args "$NS" "$FULL")
sa=$E2E_TMP/serviceaccount
sa_dir "$sa" "$NS" "$SA"
chmod 755 "$E2E_TMP" "$sa" && chmod 644 "$sa"/*  # the image's user reads them, as a pod's would
MP=$(free_port)
HP=$(free_port)
readarray -d '' -t ARGV < <(host_args "$ARGS" "$MP" "$HP")

step "the image's binary runs in-cluster, as the chart's user, with the Deployment's arguments"
log=$E2E_LOGS/$E2E_CASE-operator.log
# Watching this test's namespace only, as helm_install.sh's operator does: an operator watching
# every namespace would reconcile the clusters of the tests beside this one.
buildah run --isolation chroot --user "$image_user" \
  --env KUBERNETES_SERVICE_HOST=127.0.0.1 --env KUBERNETES_SERVICE_PORT="$API_PORT" \
  --env POD_NAME="$FULL-6f7d9c8b5-q4x2z" --env POD_NAMESPACE="$NS" \
  --volume "$sa:/var/run/secrets/kubernetes.io/serviceaccount:ro" \
  "$ctr" -- /usr/local/bin/ray-operator "${ARGV[@]}" "--namespaces=$NS" >"$log" 2>&1 &
run_pid=$!
# On the way out the operator is stopped by its own name (buildah run need not pass a signal on),
# then buildah, before its container is removed.
AFTER_CLEANUP=("pkill -TERM -f -- '^/usr/local/bin/ray-operator .*--namespaces=$NS\$'"
  "kill $run_pid" "${AFTER_CLEANUP[@]}")
image_operator() {  # the operator process of this test, the image's binary (not a host build)
  local p
  for p in $(pgrep -x ray-operator); do
    tr '\0' ' ' <"/proc/$p/cmdline" | quiet_grep -- "--namespaces=$NS" || continue
    [[ $(readlink "/proc/$p/exe") != "$E2E_BUILD_DIR"/* ]] && { echo "$p"; return 0; }
  done
  return 1
}
wait_until 60 "the image's operator process" image_operator
pid=$(image_operator)
uid=$(awk '/^Uid:/ { print $2 }' "/proc/$pid/status")
gid=$(awk '/^Gid:/ { print $2 }' "/proc/$pid/status")
assert_eq "$uid:$gid" "$image_user" "the running operator's uid:gid"
say "operator pid $pid ($(readlink "/proc/$pid/exe")) runs as $uid:$gid"
wait_until 60 "/readyz from the image's operator" http_ok "http://127.0.0.1:$HP/readyz"
quiet_grep 'in-cluster (/var/run/secrets/kubernetes.io/serviceaccount)' "$log" ||
  fail "the operator did not take the in-cluster configuration (log: $log)"

step "the seed's RayCluster becomes Ready"
k apply -n "$NS" -f "$SEED" >/dev/null
ready_cluster "$C" 120
workers_running_are "$C" "$(get raycluster "$C" '{.spec.workerGroupSpecs[0].replicas}')" ||
  fail "the seed's workers are not running"
http_ok "http://127.0.0.1:$MP/metrics" || fail "no /metrics from the image's operator"

step "a SIGTERM stops it cleanly"
kill -TERM "$pid"
stopped() { ! kill -0 "$pid" 2>/dev/null; }
wait_until 20 "the operator to stop" stopped
