#!/usr/bin/env bash
# A new image for the head and the workers, under each upgradeStrategy: None replaces nothing
# and reports the outdated pods; Recreate replaces every pod, the head included; RollingUpdate
# replaces the head, then the workers within maxUnavailable and maxSurge (sampled every 200 ms),
# honouring a workersToDelete sent mid-roll. Then an operator that derives pods differently
# (one extra env var) takes over and replaces nothing.
. "$(dirname "$0")/lib.sh"
new_namespace
start_operator

# cluster NAME WORKERS STRATEGY-YAML [AUTOSCALING]
cluster() {
  k apply -n "$NS" -f - >/dev/null <<YAML
apiVersion: ray.io/v1
kind: RayCluster
metadata: {name: $1}
spec:
  rayVersion: "2.9.0"
  enableInTreeAutoscaling: ${4:-false}
  upgradeStrategy: $3
  headGroupSpec:
    rayStartParams: {}
    template:
      spec:
        containers: [{name: ray-head, image: "rayproject/ray:2.9.0"}]
  workerGroupSpecs:
  - groupName: workers
    replicas: $2
    minReplicas: 0
    maxReplicas: 10
    rayStartParams: {}
    template:
      spec:
        containers: [{name: ray-worker, image: "rayproject/ray:2.9.0"}]
YAML
}
# new_image NAME [MORE-JSON-PATCH-OPS]: 2.10.0 for the head and the workers, in one patch.
new_image() {
  k patch raycluster "$1" -n "$NS" --type=json -p '[
    {"op":"replace","path":"/spec/headGroupSpec/template/spec/containers/0/image","value":"rayproject/ray:2.10.0"},
    {"op":"replace","path":"/spec/workerGroupSpecs/0/template/spec/containers/0/image","value":"rayproject/ray:2.10.0"}'"${2:-}"']' >/dev/null
}
# "uid image" of every pod of cluster $1 not being deleted, sorted.
pods_of() {
  k get pods -n "$NS" -l "ray.io/cluster=$1" -o json |
    jq -r '.items[] | select(.metadata.deletionTimestamp == null) | "\(.metadata.uid) \(.spec.containers[0].image)"' | sort
}
all_on() { [ -n "$(pods_of "$1")" ] && ! pods_of "$1" | quiet_grep -v " $2\$"; }
condition_reason() { get raycluster "$1" "{.status.conditions[?(@.type==\"$2\")].reason}"; }
reason_is() { [ "$(condition_reason "$1" "$2")" = "$3" ]; }
group_status() { get raycluster "$1" "{.status.workerGroups[0].$2}"; }

step "None: nothing is replaced; status counts the outdated pods"
cluster keep 2 "{type: None}"
ready_cluster keep
before=$(pods_of keep)
new_image keep
wait_until 60 "UpToDate False (AllPodsOutdated)" reason_is keep UpToDate AllPodsOutdated
assert_eq "$(group_status keep outdatedReplicas)" 2 "outdatedReplicas"
assert_eq "$(get statefulset keep-head '{.spec.updateStrategy.type}')" OnDelete "the head StatefulSet's updateStrategy"
wait_until 60 "the head StatefulSet's new template" bash -c \
  "[ \"\$(kubectl get statefulset keep-head -n $NS -o jsonpath='{.spec.template.spec.containers[0].image}')\" = rayproject/ray:2.10.0 ]"
k patch raycluster keep -n "$NS" --type=json -p '[{"op":"replace","path":"/spec/workerGroupSpecs/0/replicas","value":3}]' >/dev/null
wait_until 60 "UpToDate False (MixedTemplates) after a scale-up" reason_is keep UpToDate MixedTemplates
assert_eq "$(group_status keep updatedReplicas)" 1 "updatedReplicas"
unchanged() { for p in $(awk '{print $1}' <<<"$before"); do pods_of keep | quiet_grep "^$p " || return 1; done; }
holds 5 "every original pod in place" unchanged
say "$(condition_reason keep UpToDate): $(get raycluster keep '{.status.conditions[?(@.type=="UpToDate")].message}')"
cluster_condition_is keep Ready True || fail "outdated pods made the cluster not Ready"

step "Recreate: every pod new, the head included"
cluster again 2 "{type: Recreate}"
ready_cluster again
before=$(pods_of again | awk '{print $1}')
new_image again
wait_until 90 "every pod of 'again' on 2.10.0" all_on again rayproject/ray:2.10.0
for p in $before; do pods_of again | quiet_grep "^$p " && fail "pod $p survived the Recreate"; done
wait_until 60 "workers back" workers_are again 2
ready_cluster again 90
wait_until 30 "UpToDate True" cluster_condition_is again UpToDate True

step "RollingUpdate: the head first, then the workers within the budget"
cluster roll 4 "{type: RollingUpdate, rollingUpdate: {maxUnavailable: 1, maxSurge: 1}}" true
ready_cluster roll 90
wait_until 60 "4 ready workers" bash -c "[ \"\$(kubectl get raycluster roll -n $NS -o jsonpath='{.status.readyWorkerReplicas}')\" = 4 ]"
samples=$E2E_LOGS/$E2E_CASE-samples.txt
: >"$samples"
# Every 200 ms: replicas wanted, worker pods not being deleted, and ready ones among them.
(
  while kill -0 $$ 2>/dev/null; do
    kubectl get rayclusters,pods -n "$NS" -o json 2>/dev/null | jq -r '
      ([.items[] | select(.kind == "RayCluster" and .metadata.name == "roll")][0].spec.workerGroupSpecs[0].replicas) as $r
      | [.items[] | select(.kind == "Pod" and .metadata.labels["ray.io/cluster"] == "roll"
          and .metadata.labels["ray.io/node-type"] == "worker" and .metadata.deletionTimestamp == null)] as $p
      | "\($r) \($p | length) \([$p[] | select(any(.status.conditions[]?; .type == "Ready" and .status == "True"))] | length)"' >>"$samples"
    sleep 0.2
  done
) &
sampler=$!
EXTRA_PIDS+=("$sampler")
# The new head starts slowly (the simulator's start delay), so the workers' turn comes later.
new_image roll ',{"op":"add","path":"/spec/headGroupSpec/template/metadata","value":{"annotations":{"sandbox.ray-operator.dev/start-delay-ms":"4000"}}}'
head_on() { k get pods -n "$NS" -l ray.io/cluster=roll,ray.io/node-type=head -o json | jq -e --arg i "$1" '[.items[] | select(.metadata.deletionTimestamp == null and .spec.containers[0].image == $i)] | length > 0' >/dev/null; }
wait_until 60 "the new head pod" head_on rayproject/ray:2.10.0
old_workers() { k get pods -n "$NS" -l ray.io/cluster=roll,ray.io/node-type=worker -o json | jq -r '.items[] | select(.metadata.deletionTimestamp == null and .spec.containers[0].image == "rayproject/ray:2.9.0") | .metadata.name'; }
assert_eq "$(old_workers | grep -c .)" 4 "old workers while the head is replaced (the head goes first and alone)"
# Mid-roll, the autoscaler scales down by one as it does: replicas and workersToDelete together.
victim=$(old_workers | sed -n 2p)
say "workersToDelete: $victim"
k patch raycluster roll -n "$NS" --type=json -p "[
  {\"op\":\"replace\",\"path\":\"/spec/workerGroupSpecs/0/replicas\",\"value\":3},
  {\"op\":\"add\",\"path\":\"/spec/workerGroupSpecs/0/scaleStrategy\",\"value\":{\"workersToDelete\":[\"$victim\"]}}]" >/dev/null
assert_eq "$(get raycluster roll '{.spec.workerGroupSpecs[0].replicas}')" 3 "replicas after the autoscaler's patch"
gone() { ! k get pod "$victim" -n "$NS" >/dev/null 2>&1; }
wait_until 60 "$victim deleted" gone
wait_until 120 "every pod of 'roll' on 2.10.0" all_on roll rayproject/ray:2.10.0
wait_until 60 "3 workers" workers_are roll 3
ready_cluster roll 90
wait_until 30 "UpToDate True" cluster_condition_is roll UpToDate True
kill "$sampler" 2>/dev/null
wait "$sampler" 2>/dev/null || true  # it ends by the signal
# A bound may lag the spec by one sample (one reconcile): compare with the previous sample too.
violations=$(awk 'NR > 1 {
    r = ($1 > pr) ? $1 : pr; m = ($1 < pr) ? $1 : pr
    if ($2 > r + 1) print "pods " $2 " > replicas " r " + maxSurge 1"
    if ($3 < m - 1) print "ready " $3 " < replicas " m " - maxUnavailable 1"
  } { pr = $1 }' "$samples")
say "$(wc -l <"$samples") samples; most pods $(awk '$2 > m {m = $2} END {print m}' "$samples"), fewest ready $(awk 'NR == 1 || $3 < m {m = $3} END {print m}' "$samples")"
[ -z "$violations" ] || fail "rolling update out of budget: $(sort -u <<<"$violations" | head -3 | tr '\n' ';')"
# Each sample is one kubectl call (a second or more on a loaded machine), and the roll lasts
# from the new head's start delay (4 s) to the last worker: enough samples to judge it, not a
# fixed rate.
(($(wc -l <"$samples") >= 5)) || fail "too few samples to judge the roll"
replaced=$(audit "" | jq -s --arg v "$victim" '[.[] | select(.objectRef.resource == "pods" and .objectRef.subresource == null and .verb == "create" and .objectRef.name == $v)] | length')
((replaced <= 1)) || fail "$victim was created again after workersToDelete"

step "an operator that derives pods differently replaces nothing"
before_all=$(for c in again roll; do pods_of "$c"; done)
stop_operator
start_operator --fault-injection --test-pod-env RAY_OPERATOR_TEST_DEFAULT=1
has_env() { k get statefulset roll-head -n "$NS" -o json | jq -e '.spec.template.spec.containers[0].env[]? | select(.name == "RAY_OPERATOR_TEST_DEFAULT")' >/dev/null; }
wait_until 60 "the new derived head template" has_env
same() { [ "$(for c in again roll; do pods_of "$c"; done)" = "$before_all" ]; }
holds 10 "every pod of the Recreate and RollingUpdate clusters in place" same
cluster_condition_is roll UpToDate True || fail "the new operator calls the pods outdated"
