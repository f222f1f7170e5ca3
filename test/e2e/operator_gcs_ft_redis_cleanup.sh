#!/usr/bin/env bash
# Deleting a RayCluster whose GCS state is in Redis deletes exactly its keys first, against a
# real redis-server the test starts and stops: two clusters' keys laid out as Ray lays them
# (one hash per GCS table under RAY<storage namespace>@<TABLE>), plus keys that only look alike.
# Deleting one cluster removes its keys and then the RayCluster; with Redis down the finalizer
# holds the deletion with a Warning, and it completes once Redis is back.
. "$(dirname "$0")/lib.sh"
new_namespace
command -v redis-server >/dev/null || fail "redis-server is not installed (scripts/install-deps.sh installs it)"
PORT=$(free_port)
PASSWORD=e2e-$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')
DIR=$(mktemp -d)
REDIS_PID=""
start_redis() {  # [PORT]: another port than the operator's, to look at the data unseen
  # Saved to $DIR on shutdown, so the keys survive the outage below.
  redis-server --port "${1:-$PORT}" --bind 127.0.0.1 --requirepass "$PASSWORD" --dir "$DIR" \
    --save "" --appendonly no --daemonize no >>"$E2E_LOGS/$E2E_CASE-redis.log" 2>&1 &
  REDIS_PID=$!
  EXTRA_PIDS+=("$REDIS_PID")
  REDIS_PORT=${1:-$PORT}
  wait_until 20 "redis-server answering on $REDIS_PORT" redis PING
}
redis() { REDISCLI_AUTH=$PASSWORD redis-cli -p "${REDIS_PORT:-$PORT}" --no-raw "$@"; }
keys() { REDISCLI_AUTH=$PASSWORD redis-cli -p "$PORT" --scan --pattern '*' | sort | tr '\n' ' '; }
start_redis
start_operator

k create secret generic redis-password -n "$NS" --from-literal=password="$PASSWORD" >/dev/null
cluster() {
  cat <<YAML
apiVersion: ray.io/v1
kind: RayCluster
metadata:
  name: $1
spec:
  rayVersion: "2.9.0"
  gcsFaultToleranceOptions:
    redisAddress: "127.0.0.1:$PORT"
    redisPassword:
      valueFrom:
        secretKeyRef: {name: redis-password, key: password}
  headGroupSpec:
    rayStartParams: {num-cpus: "0"}
  workerGroupSpecs:
  - groupName: workers
    replicas: 1
    maxReplicas: 2
    rayStartParams: {}
YAML
}

step "two RayClusters with GCS state in Redis carry the cleanup finalizer and become Ready"
cluster ft-a | k apply -n "$NS" -f - >/dev/null
cluster ft-b | k apply -n "$NS" -f - >/dev/null
ready_cluster ft-a
ready_cluster ft-b
for c in ft-a ft-b; do
  get raycluster "$c" '{.metadata.finalizers}' | quiet_grep -F ray.io/gcs-ft-redis-cleanup-finalizer ||
    fail "$c has no ray.io/gcs-ft-redis-cleanup-finalizer"
done
A=$(get raycluster ft-a '{.metadata.uid}')
B=$(get raycluster ft-b '{.metadata.uid}')
for t in NODE JOB ACTOR KV; do
  redis HSET "RAY$A@$t" k v >/dev/null
  redis HSET "RAY$B@$t" k v >/dev/null
done
# Alike, and not A's: another namespace that starts with A's uid, and Ray's default namespace.
redis HSET "RAY${A}0@NODE" k v >/dev/null
redis HSET "RAYdefault@NODE" k v >/dev/null
redis SET "unrelated" v >/dev/null

step "deleting ft-a deletes exactly its keys, then the RayCluster"
k delete raycluster ft-a -n "$NS" --wait=false >/dev/null
gone() { ! k get raycluster "$1" -n "$NS" >/dev/null 2>&1; }
wait_until 90 "ft-a deleted" gone ft-a
expected="RAY${A}0@NODE RAY$B@ACTOR RAY$B@JOB RAY$B@KV RAY$B@NODE RAYdefault@NODE unrelated "
assert_eq "$(keys)" "$(echo "$expected" | tr ' ' '\n' | sed '/^$/d' | sort | tr '\n' ' ')" "the keys left"
k get events -n "$NS" --field-selector reason=DeletedRedisKeys,involvedObject.name=ft-a -o jsonpath='{.items[*].message}' |
  quiet_grep "Deleted 4 keys" || fail "no DeletedRedisKeys Event saying 4 keys for ft-a"
assert_eq "$(get raycluster ft-b '{.metadata.deletionTimestamp}')" "" "ft-b's deletion"

step "with Redis down, deleting ft-b is held by the finalizer with a Warning"
redis SHUTDOWN SAVE >/dev/null 2>&1 || true
wait "$REDIS_PID" 2>/dev/null || true
k delete raycluster ft-b -n "$NS" --wait=false >/dev/null
warned() {
  k get events -n "$NS" --field-selector reason=RedisCleanupFailed,involvedObject.name=ft-b -o json |
    jq -e '.items | length > 0' >/dev/null
}
wait_until 60 "a RedisCleanupFailed Warning for ft-b" warned
held() { [ -n "$(get raycluster ft-b '{.metadata.deletionTimestamp}')" ] &&
  get raycluster ft-b '{.metadata.finalizers}' | quiet_grep -F ray.io/gcs-ft-redis-cleanup-finalizer; }
holds 5 "ft-b held by its finalizer" held

step "Redis back: ft-b's keys go, then ft-b"
# First on a port of its own, where the operator cannot reach it: the keys survived the outage.
start_redis "$(free_port)"
assert_eq "$(redis EXISTS "RAY$B@NODE")" "(integer) 1" "ft-b's keys, saved over the outage"
redis SHUTDOWN NOSAVE >/dev/null 2>&1 || true
wait "$REDIS_PID" 2>/dev/null || true
start_redis
wait_until 90 "ft-b deleted once Redis is back" gone ft-b
assert_eq "$(keys)" "$(printf '%s\n' "RAY${A}0@NODE" RAYdefault@NODE unrelated | sort | tr '\n' ' ')" \
  "the keys left after ft-b"
rm -rf "$DIR"
