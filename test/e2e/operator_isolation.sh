#!/usr/bin/env bash
# A RayCluster whose reconciler fails restarts only its own actor, with backoff and an Event
# each time; another cluster keeps reconciling meanwhile. (The failure is injected through an
# annotation that only --fault-injection enables.)
. "$(dirname "$0")/lib.sh"
new_namespace
start_operator --fault-injection
C=crashy
OTHER=steady

apply_cluster "$OTHER" 1 false 0 4
ready_cluster "$OTHER"

step "a cluster whose reconciler throws"
apply_cluster "$C" 1 false 0 4
k annotate raycluster "$C" -n "$NS" ray-operator.dev/fail-reconcile=true >/dev/null
# Each restart is recorded; repeats aggregate into one Event whose count grows.
restarts() { k get events -n "$NS" --field-selector "involvedObject.name=$C,reason=ReconcilerRestarted" -o json | jq '[.items[].count] | add // 0'; }
restarted_twice() { (($(restarts) >= 2)); }
wait_until 30 "a second restart recorded" restarted_twice
events=$(k get events -n "$NS" --field-selector "involvedObject.name=$C,reason=ReconcilerRestarted" -o name | grep -c .)
assert_eq "$events" 1 "ReconcilerRestarted Events (one, aggregated)"

step "the other cluster keeps reconciling meanwhile"
k patch raycluster "$OTHER" -n "$NS" --type=json -p '[{"op":"replace","path":"/spec/workerGroupSpecs/0/replicas","value":3}]' >/dev/null
wait_until 30 "3 workers in $OTHER" workers_are "$OTHER" 3

step "removing the cause lets the failing cluster converge"
k annotate raycluster "$C" -n "$NS" ray-operator.dev/fail-reconcile- >/dev/null
ready_cluster "$C" 120
kill -0 "$OP_PID" || fail "the operator process died"
