#!/usr/bin/env bash
# A create that keeps failing (a ResourceQuota refuses it) is retried less and less often, one
# pod at a time, and reported as one aggregated Event and a ReplicaFailure condition carrying
# the API server's reason; once the quota allows, the pods come.
. "$(dirname "$0")/lib.sh"
new_namespace
export POD_NAME=op-$E2E_CASE
start_operator
k create quota pods --hard=pods=2 -n "$NS" >/dev/null
C=capped

apply_cluster "$C" 4 false 0 8
failure_shown() { [ "$(cluster_condition "$C" ReplicaFailure)" = True ]; }
wait_until 60 "a ReplicaFailure condition" failure_shown
reason=$(get raycluster "$C" '{.status.conditions[?(@.type=="ReplicaFailure")].reason}')
message=$(get raycluster "$C" '{.status.conditions[?(@.type=="ReplicaFailure")].message}')
say "ReplicaFailure: $reason: $message"
assert_eq "$reason" FailedCreateWorkerPod "the ReplicaFailure reason"
[[ $message == *"exceeded quota"* ]] || fail "the condition does not carry the API server's reason"
cluster_condition_is "$C" Ready False || fail "the cluster is Ready with 3 of its 4 workers missing"

step "40 s of a quota that refuses: few, backed-off attempts"
refused() { audit "($POD_NAME)" | jq -s '[.[] | select(.objectRef.resource == "pods" and .verb == "create" and .responseStatus.code == 403)] | length'; }
before=$(refused)
t0=$SECONDS
holds 40 "the cluster to stay not Ready" cluster_condition_is "$C" Ready False
attempts=$(($(refused) - before))
say "$attempts refused creates in $((SECONDS - t0)) s"
((attempts >= 2)) || fail "the creates were not retried ($attempts in 40 s)"
((attempts <= 8)) || fail "$attempts refused creates in 40 s: not backing off"
events=$(k get events -n "$NS" --field-selector reason=FailedToCreateWorkerPod -o json)
assert_eq "$(jq '.items | length' <<<"$events")" 1 "FailedToCreateWorkerPod Events"
count=$(jq '.items[0].count' <<<"$events")
say "one FailedToCreateWorkerPod Event, count $count"
((count >= attempts)) || fail "the Event's count $count is below the $attempts failures"

step "the quota allows: the workers come"
k patch quota pods -n "$NS" -p '{"spec":{"hard":{"pods":"10"}}}' >/dev/null
wait_until 120 "4 workers" workers_are "$C" 4
ready_cluster "$C" 60
cleared() { [ -z "$(cluster_condition "$C" ReplicaFailure)" ]; }
wait_until 30 "ReplicaFailure to clear" cleared
