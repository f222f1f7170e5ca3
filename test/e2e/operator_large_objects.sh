#!/usr/bin/env bash
# Large objects: RayClusters whose specs are over 40 KiB and pods with 20 KiB annotations (a
# kubectl last-applied copy, managedFields or a big template make such events ordinary). Every
# watch event is then a long line; the clusters converge and the operator stays responsive
# (its probes answer at once, a scale-up is acted on promptly) throughout.
. "$(dirname "$0")/lib.sh"
new_namespace
METRICS_PORT=$(free_port)
HEALTH_PORT=$(free_port)
OPERATOR_HTTP_ARGS="--metrics-addr 127.0.0.1:$METRICS_PORT --health-addr 127.0.0.1:$HEALTH_PORT"
start_operator
N=30
annotation=$(head -c 15000 /dev/urandom | base64 -w0 | head -c 20480)
env_value=$(head -c 15000 /dev/urandom | base64 -w0 | head -c 20480)

step "$N clusters of over 40 KiB each"
for i in $(seq 1 "$N"); do
  cat <<YAML
apiVersion: ray.io/v1
kind: RayCluster
metadata: {name: big$i}
spec:
  rayVersion: "2.9.0"
  headGroupSpec:
    rayStartParams: {}
    template:
      metadata: {annotations: {example.com/blob: "$annotation"}}
      spec:
        containers:
        - name: ray-head
          env: [{name: BLOB, value: "$env_value"}]
          resources: {limits: {cpu: 100m, memory: 256Mi}}
  workerGroupSpecs:
  - groupName: workers
    replicas: 1
    minReplicas: 0
    maxReplicas: 5
    rayStartParams: {}
    template:
      metadata: {annotations: {example.com/blob: "$annotation"}}
      spec:
        containers:
        - name: ray-worker
          env: [{name: BLOB, value: "$env_value"}]
          resources: {limits: {cpu: 100m, memory: 256Mi}}
---
YAML
done | k apply -n "$NS" -f - >/dev/null
size=$(k get raycluster big1 -n "$NS" -o json | wc -c)
say "a RayCluster is $size bytes"
((size > 40960)) || fail "the RayCluster is only $size bytes"

# Meanwhile, every probe answers within a second.
probe_log=$E2E_LOGS/$E2E_CASE-probes.log
(
  while kill -0 $$ 2>/dev/null; do  # ends with the test, whatever becomes of it
    if ! curl -fsS --max-time 1 "http://127.0.0.1:$HEALTH_PORT/healthz" >/dev/null 2>&1; then
      echo "healthz failed at $(date +%T.%N)"
    fi
    curl -fsS --max-time 2 "http://127.0.0.1:$METRICS_PORT/metrics" >/dev/null 2>&1 ||
      echo "metrics failed at $(date +%T.%N)"
    sleep 0.5
  done >"$probe_log"
) &
EXTRA_PIDS+=("$!")
all_ready() { [ "$(ready_clusters)" = "$N" ]; }
wait_until 240 "$N Ready clusters" all_ready
pod_size=$(k get pods -n "$NS" -l ray.io/cluster=big1,ray.io/node-type=worker -o json | jq -c '.items[0]' | wc -c)
say "a worker pod is $pod_size bytes"
((pod_size > 20480)) || fail "the worker pod is only $pod_size bytes"

step "a scale-up is acted on promptly"
k patch raycluster big3 -n "$NS" --type=json -p '[{"op":"replace","path":"/spec/workerGroupSpecs/0/replicas","value":4}]' >/dev/null
wait_until 30 "4 workers of big3" workers_are big3 4
ready_cluster big3 60
kill "${EXTRA_PIDS[-1]}" 2>/dev/null || true
if [ -s "$probe_log" ]; then
  cat "$probe_log"
  fail "a probe did not answer in time"
fi
say "every probe answered within a second while $N large clusters converged"
