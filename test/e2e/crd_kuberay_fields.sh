#!/usr/bin/env bash
# The CRD takes every field of KubeRay's RayCluster: kubectl, validating against the schema the
# API server publishes (its default), accepts a manifest that sets each of them
# (kuberay-every-field.yaml), and the API server prunes none of them.
. "$(dirname "$0")/lib.sh"
new_namespace
fixture="$(dirname "$0")/kuberay-every-field.yaml"

step "kubectl apply, with its default validation, accepts every KubeRay field"
out=$(k apply -n "$NS" -f "$fixture" 2>&1) || fail "kubectl refused the manifest: $out"

step "the stored object keeps each of them"
stored=$(k get raycluster every-field -n "$NS" -o json)
# Every leaf the manifest sets is in the stored object, with the same value.
missing=$(jq -n --argjson want "$(k create --dry-run=client -o json -f "$fixture")" --argjson got "$stored" '
  [$want.spec | paths(scalars) as $p | select(($got.spec | getpath($p)) != ($want.spec | getpath($p)))
   | map(tostring) | join(".")] | join(" ")' -r)
[ -z "$missing" ] || fail "pruned or changed by the API server: $missing"
assert_eq "$(get raycluster every-field '{.spec.networkPolicy.workerGroups[0].ingressRules[0].from[0].podSelector.matchLabels.app}')" \
  feeder "a network policy rule of a worker group"
assert_eq "$(get raycluster every-field '{.spec.gcsFaultToleranceOptions.redisPassword.valueFrom.secretKeyRef.name}')" \
  redis-password "the Redis password's Secret"
