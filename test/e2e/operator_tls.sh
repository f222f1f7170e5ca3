#!/usr/bin/env bash
# Mutual TLS (examples/raycluster-tls.yaml) against cert-manager's kinds (test/e2e/
# cert-manager-crds.yaml; no cert-manager runs here, so nothing is issued): the cluster's CA and
# the head's and workers' Certificates, naming the pods' IPs and following them as workers are
# added; every Ray pod's certificate volume, TLS env and wait-for-tls-ip-san; turning tlsOptions
# off deletes the certificates' objects.
. "$(dirname "$0")/lib.sh"
new_namespace
k apply -f "$(dirname "$0")/cert-manager-crds.yaml" >/dev/null
# Other tests' operators should not see cert-manager: the kinds go when this test ends.
AFTER_CLEANUP+=("k delete -f '$(dirname "$0")/cert-manager-crds.yaml' --wait=false")
"$(dirname "$0")/../../scripts/wait-established" issuers.cert-manager.io certificates.cert-manager.io
start_operator
C=ray-tls
cert() { k get certificate "$1" -n "$NS" -o json | jq -c "$2"; }
pod_ips() { k get pods -n "$NS" -l "ray.io/cluster=$C,ray.io/node-type=$1" -o json |
  jq -c '["127.0.0.1"] + ([.items[] | select(.metadata.deletionTimestamp == null) | .status.podIP | select(. != null)] | sort)'; }

step "the example becomes Ready with its CA and certificates"
k apply -n "$NS" -f "$(dirname "$0")/../../examples/raycluster-tls.yaml" >/dev/null
ready_cluster "$C"
assert_eq "$(k get issuer "$C-selfsigned" -n "$NS" -o jsonpath='{.spec.selfSigned}')" '{}' "the self-signed Issuer"
assert_eq "$(cert "$C-ca" .spec.isCA)" true "the CA Certificate"
ca_secret=$(k get certificate "$C-ca" -n "$NS" -o jsonpath='{.spec.secretName}')
[ -n "$ca_secret" ] || fail "the CA Certificate names no Secret"
assert_eq "$(k get issuer "$C-ca" -n "$NS" -o jsonpath='{.spec.ca.secretName}')" "$ca_secret" "the CA Issuer's Secret"
assert_eq "$(cert "$C-head" .spec.issuerRef.name)" "\"$C-ca\"" "the head Certificate's issuer"
head_ips() { [ "$(cert "$C-head" .spec.ipAddresses)" = "$(pod_ips head)" ]; }
wait_until 30 "the head Certificate naming the head's IP" head_ips
worker_ips() { [ "$(cert "$C-worker" .spec.ipAddresses)" = "$(pod_ips worker)" ]; }
wait_until 30 "the worker Certificate naming the worker's IP" worker_ips

step "every Ray pod mounts its certificate, gets Ray's TLS env, and waits for its IP in it"
w=$(worker_pods "$C" | head -1)
for pair in "$C-head-0:$C-head-tls" "$w:$C-worker-tls"; do
  pod=${pair%%:*} secret=${pair#*:}
  json=$(k get pod "$pod" -n "$NS" -o json)
  assert_eq "$(jq -r '.spec.volumes[] | select(.name == "ray-tls") | .secret.secretName' <<<"$json")" "$secret" "$pod's TLS volume"
  assert_eq "$(jq -r '.spec.containers[0].env[] | select(.name == "RAY_USE_TLS") | .value' <<<"$json")" 1 "$pod's RAY_USE_TLS"
  assert_eq "$(jq -r '.spec.containers[0].env[] | select(.name == "RAY_TLS_CA_CERT") | .value' <<<"$json")" /etc/ray/tls/ca.crt \
    "$pod's RAY_TLS_CA_CERT"
  assert_eq "$(jq -r '.spec.initContainers[0].name' <<<"$json")" wait-for-tls-ip-san "$pod's first init container"
done

step "a new worker's IP joins the worker Certificate"
k patch raycluster "$C" -n "$NS" --type=json -p '[{"op":"replace","path":"/spec/workerGroupSpecs/0/replicas","value":2}]' >/dev/null
wait_until 60 "2 workers" workers_running_are "$C" 2
two_ips() { [ "$(cert "$C-worker" '.spec.ipAddresses | length')" = 3 ] && worker_ips; }
wait_until 30 "the worker Certificate naming both workers' IPs" two_ips

step "tlsOptions off: the CA and certificates go"
k patch raycluster "$C" -n "$NS" --type=merge -p '{"spec":{"tlsOptions":{"enabled":false}}}' >/dev/null
none_left() { [ -z "$(k get issuers,certificates -n "$NS" -o name)" ]; }
wait_until 30 "no Issuer or Certificate left" none_left
