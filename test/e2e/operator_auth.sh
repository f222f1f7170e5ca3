#!/usr/bin/env bash
# Token authentication (examples/raycluster-auth.yaml): the operator makes the Secret C with a
# random token, once; the Ray containers and wait-gcs-ready get RAY_AUTH_MODE=token and
# RAY_AUTH_TOKEN from it; a spec change leaves the token as it was. With enableK8sTokenAuth, no
# Secret: each pod's projected ServiceAccount token instead.
. "$(dirname "$0")/lib.sh"
new_namespace
start_operator
C=ray-auth
env_of() { k get pod "$1" -n "$NS" -o json | jq -c --arg n "$3" ".spec.$2.env[] | select(.name == \$n)"; }

step "the example becomes Ready with its token Secret"
k apply -n "$NS" -f "$(dirname "$0")/../../examples/raycluster-auth.yaml" >/dev/null
ready_cluster "$C"
token=$(get secret "$C" '{.data.auth_token}' | base64 -d)
assert_eq "${#token}" 44 "the token's length (32 random bytes, base64)"
assert_eq "$(get secret "$C" '{.metadata.ownerReferences[0].uid}')" "$(get raycluster "$C" '{.metadata.uid}')" "the Secret's owner"

step "every Ray process reads the token from it"
ref='{"name":"RAY_AUTH_TOKEN","valueFrom":{"secretKeyRef":{"key":"auth_token","name":"ray-auth"}}}'
assert_eq "$(env_of "$C-head-0" 'containers[0]' RAY_AUTH_TOKEN)" "$ref" "the head's RAY_AUTH_TOKEN"
assert_eq "$(env_of "$C-head-0" 'containers[0]' RAY_AUTH_MODE | jq -r .value)" token "the head's RAY_AUTH_MODE"
w=$(worker_pods "$C" | head -1)
assert_eq "$(env_of "$w" 'containers[0]' RAY_AUTH_TOKEN)" "$ref" "the worker's RAY_AUTH_TOKEN"
assert_eq "$(env_of "$w" 'initContainers[] | select(.name == "wait-gcs-ready")' RAY_AUTH_TOKEN)" "$ref" \
  "wait-gcs-ready's RAY_AUTH_TOKEN"

step "a spec change leaves the token as it was"
rv=$(get secret "$C" '{.metadata.resourceVersion}')
k patch raycluster "$C" -n "$NS" --type=json -p '[{"op":"replace","path":"/spec/workerGroupSpecs/0/replicas","value":2}]' >/dev/null
wait_until 60 "2 workers" workers_running_are "$C" 2
assert_eq "$(get secret "$C" '{.metadata.resourceVersion}')" "$rv" "the Secret's resourceVersion"

step "enableK8sTokenAuth: no Secret, each pod's projected ServiceAccount token"
cat <<YAML | k apply -n "$NS" -f - >/dev/null
apiVersion: ray.io/v1
kind: RayCluster
metadata: {name: k8s-auth}
spec:
  rayVersion: "2.55.0"
  authOptions: {mode: token, enableK8sTokenAuth: true}
  headGroupSpec: {rayStartParams: {}}
YAML
ready_cluster k8s-auth
assert_eq "$(k get secret k8s-auth -n "$NS" -o name 2>/dev/null || true)" "" "a Secret for k8s-auth"
assert_eq "$(env_of k8s-auth-head-0 'containers[0]' RAY_ENABLE_K8S_TOKEN_AUTH | jq -r .value)" true "RAY_ENABLE_K8S_TOKEN_AUTH"
assert_eq "$(k get pod k8s-auth-head-0 -n "$NS" -o json | jq -c '.spec.volumes[] | select(.name == "ray-token") | .projected.sources[0].serviceAccountToken.path')" \
  '"token"' "the projected token volume"
assert_eq "$(k get pod k8s-auth-head-0 -n "$NS" -o json | jq -r '.spec.containers[0].volumeMounts[] | select(.name == "ray-token") | .mountPath')" \
  /var/run/secrets/ray.io/serviceaccount "the token's mount"
