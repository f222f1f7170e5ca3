#!/usr/bin/env bash
# Bad input: each invalid spec gives a Warning Event and a SpecValid=False condition saying
# what is wrong, existing children stay untouched, and fixing the spec converges. Another
# cluster keeps reconciling meanwhile.
. "$(dirname "$0")/lib.sh"
new_namespace
start_operator
C=bad
OTHER=good

apply_cluster "$C" 2 false 0 4
apply_cluster "$OTHER" 1 false 0 4
ready_cluster "$C"
ready_cluster "$OTHER"
good_spec=$(k get raycluster "$C" -n "$NS" -o json | jq -c '{spec: .spec}')

snapshot() {
  echo "$(worker_pods "$C" | xargs) head=$(get pod "$C-head-0" '{.metadata.uid}') sts=$(get statefulset "$C-head" '{.metadata.resourceVersion}') svc=$(get service "$C-head-svc" '{.metadata.resourceVersion}')"
}
before=$(snapshot)
other_replicas=1

# bad TITLE EXPECTED-TEXT JSON-PATCH: applies the patch, checks the Event, the condition and
# that nothing changed, checks the other cluster still reconciles, then restores the spec.
bad() {
  local title=$1 expected=$2 patch=$3
  step "$title"
  k patch raycluster "$C" -n "$NS" --type=json -p "$patch" >/dev/null || fail "the API server refused the patch"
  wait_until 30 "SpecValid False" cluster_condition_is "$C" SpecValid False
  get raycluster "$C" '{.status.conditions[?(@.type=="SpecValid")].message}' | quiet_grep -- "$expected" \
    || fail "the condition does not say '$expected': $(get raycluster "$C" '{.status.conditions[?(@.type=="SpecValid")].message}')"
  wait_until 30 "a Warning event" bash -c "kubectl get events -n $NS --field-selector involvedObject.name=$C,reason=InvalidRayClusterSpec -o jsonpath='{.items[*].message}' 2>/dev/null | quiet_grep -- '$expected'"
  assert_eq "$(cluster_condition "$C" Ready)" False "Ready while invalid"
  # Meanwhile the other cluster is reconciled as usual.
  other_replicas=$((other_replicas % 3 + 1))
  k patch raycluster "$OTHER" -n "$NS" --type=json -p "[{\"op\":\"replace\",\"path\":\"/spec/workerGroupSpecs/0/replicas\",\"value\":$other_replicas}]" >/dev/null
  wait_until 30 "$OTHER at $other_replicas workers" workers_are "$OTHER" "$other_replicas"
  assert_eq "$(snapshot)" "$before" "children of the invalid cluster"
  k patch raycluster "$C" -n "$NS" --type=json -p '[{"op":"replace","path":"/spec","value":'"$(echo "$good_spec" | jq -c .spec)"'}]' >/dev/null
  wait_until 30 "SpecValid True again" cluster_condition_is "$C" SpecValid True
  ready_cluster "$C"
  assert_eq "$(snapshot)" "$before" "children after the fix"
}

bad "duplicate group names" "must be unique" \
  '[{"op":"add","path":"/spec/workerGroupSpecs/-","value":{"groupName":"workers","minReplicas":0,"maxReplicas":1}}]'
bad "minReplicas greater than maxReplicas" "maxReplicas" \
  '[{"op":"replace","path":"/spec/workerGroupSpecs/0/minReplicas","value":5}]'
bad "negative replicas" "negative" \
  '[{"op":"replace","path":"/spec/workerGroupSpecs/0/replicas","value":-1}]'
bad "a malformed quantity" "not a valid quantity" \
  '[{"op":"add","path":"/spec/workerGroupSpecs/0/template","value":{"spec":{"containers":[{"name":"ray-worker","image":"rayproject/ray:2.9.0","resources":{"limits":{"cpu":"two"}}}]}}}]'
bad "a wrongly typed field" "containers" \
  '[{"op":"add","path":"/spec/workerGroupSpecs/0/template","value":{"spec":{"containers":"ray-worker"}}}]'
bad "conflicting idleTimeoutMinutes and idleTimeoutSeconds" "idleTimeout" \
  '[{"op":"add","path":"/spec/autoscalerOptions","value":{"idleTimeoutMinutes":2,"idleTimeoutSeconds":30}}]'

step "a name too long for its derived names"
long=cluster-with-a-name-much-too-long-for-its-derived-names
apply_cluster "$long" 1 false 0 2
wait_until 30 "SpecValid False" cluster_condition_is "$long" SpecValid False
get raycluster "$long" '{.status.conditions[?(@.type=="SpecValid")].message}' | quiet_grep "metadata.name" || fail "the condition does not name metadata.name"
holds 3 "no children for $long" bash -c "[ -z \"\$(kubectl get svc,sts,pods -n $NS -l ray.io/cluster=$long -o name 2>/dev/null)\" ]"
