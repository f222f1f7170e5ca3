#!/usr/bin/env bash
# The children that shape the network: the head's Ingress (examples/raycluster-ingress.yaml) and
# the NetworkPolicies of spec.networkPolicy (examples/raycluster-network-policy.yaml), as KubeRay
# builds them; each follows the spec (a changed mode, a removed group, enableIngress turned off),
# and a policy with rules the mode leaves open is refused without touching what exists.
. "$(dirname "$0")/lib.sh"
new_namespace
start_operator
EX=$(dirname "$0")/../../examples

step "the Ingress: host, path, TLS, the class from the annotation, to the dashboard port"
k apply -n "$NS" -f "$EX/raycluster-ingress.yaml" >/dev/null
ready_cluster ray-ingress
I=ray-ingress-head-ingress
assert_eq "$(get ingress $I '{.spec.ingressClassName}')" nginx "ingressClassName"
assert_eq "$(get ingress $I '{.spec.rules[0].host}')" ray.example.com "host"
assert_eq "$(get ingress $I '{.spec.rules[0].http.paths[0].path} {.spec.rules[0].http.paths[0].pathType}')" \
  "/dashboard Prefix" "path and pathType"
assert_eq "$(get ingress $I '{.spec.rules[0].http.paths[0].backend.service.name}:{.spec.rules[0].http.paths[0].backend.service.port.number}')" \
  ray-ingress-head-svc:8265 "backend"
assert_eq "$(get ingress $I '{.spec.tls[0].secretName}')" ray-example-tls "TLS Secret"
assert_eq "$(get ingress $I '{.metadata.ownerReferences[0].name}')" ray-ingress "owner"

step "enableIngress turned off: the Ingress goes"
k patch raycluster ray-ingress -n "$NS" --type=merge -p '{"spec":{"headGroupSpec":{"enableIngress":false}}}' >/dev/null
no_ingress() { ! k get ingress $I -n "$NS" >/dev/null 2>&1; }
wait_until 30 "the Ingress deleted" no_ingress

step "the NetworkPolicies: head and each group, own pods first, the user's rules after"
k apply -n "$NS" -f "$EX/raycluster-network-policy.yaml" >/dev/null
ready_cluster ray-isolated
policy() { k get networkpolicy "$1" -n "$NS" -o json | jq -c "$2"; }
assert_eq "$(policy ray-isolated-head .spec.podSelector.matchLabels)" \
  '{"ray.io/cluster":"ray-isolated","ray.io/node-type":"head"}' "the head policy's pods"
assert_eq "$(policy ray-isolated-head .spec.policyTypes)" '["Ingress","Egress"]' "the head policy's types"
assert_eq "$(policy ray-isolated-head '.spec.ingress[0]')" \
  '{"from":[{"podSelector":{"matchLabels":{"ray.io/cluster":"ray-isolated"}}}]}' "the head's first rule: its cluster"
assert_eq "$(policy ray-isolated-head '.spec.ingress[1].ports[0].port')" 8265 "the head's dashboard rule"
assert_eq "$(policy ray-isolated-workers-cpu '.spec.egress | length')" 2 "cpu's egress rules (own pods, DNS)"
assert_eq "$(policy ray-isolated-workers-gpu '.spec.egress | length')" 3 "gpu's egress rules (own pods, DNS, 443)"
assert_eq "$(policy ray-isolated-workers-gpu .spec.podSelector.matchLabels.\"ray.io/group\")" '"gpu"' "gpu's pods"

step "a changed mode is patched; a removed group's policy goes"
k patch raycluster ray-isolated -n "$NS" --type=json -p '[
  {"op":"replace","path":"/spec/networkPolicy/mode","value":"DenyAllEgress"},
  {"op":"remove","path":"/spec/networkPolicy/head/ingressRules"},
  {"op":"remove","path":"/spec/networkPolicy/workerGroups"},
  {"op":"remove","path":"/spec/workerGroupSpecs/1"}]' >/dev/null
egress_only() { [ "$(policy ray-isolated-head .spec.policyTypes)" = '["Egress"]' ]; }
wait_until 30 "the head policy restricting egress only" egress_only
no_gpu_policy() { ! k get networkpolicy ray-isolated-workers-gpu -n "$NS" >/dev/null 2>&1; }
wait_until 30 "the gpu group's policy deleted" no_gpu_policy

step "rules the mode leaves open are refused; the policies stay as they are"
before=$(policy ray-isolated-head .metadata.resourceVersion)
k patch raycluster ray-isolated -n "$NS" --type=merge \
  -p '{"spec":{"networkPolicy":{"head":{"ingressRules":[{"ports":[{"port":10001}]}]}}}}' >/dev/null
invalid() { cluster_condition_is ray-isolated SpecValid False; }
wait_until 30 "SpecValid False" invalid
k get events -n "$NS" --field-selector reason=InvalidRayClusterSpec -o jsonpath='{.items[*].message}' |
  quiet_grep "spec.networkPolicy.head.ingressRules" || fail "no InvalidRayClusterSpec naming spec.networkPolicy.head.ingressRules"
assert_eq "$(policy ray-isolated-head .metadata.resourceVersion)" "$before" "the head policy's version"
