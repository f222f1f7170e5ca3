#!/usr/bin/env bash
# values.schema.json: a wrong type, a value outside its enum or range, or an unknown key is
# refused by both `helm template` and `helm install` with a message naming the value, and a
# refused install leaves nothing behind. A values file using every key is accepted.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/helm_lib.sh"

new_namespace
REL=$(release_name ro)

# refused NAME EXPECTED_IN_MESSAGE — the values file is on stdin.
refused() {
  local name=$1 expect=$2 file="$E2E_TMP/$1.yaml" out
  cat >"$file"
  step "refused: $name"
  if out=$(helm template "$REL" "$CHART" -n "$NS" -f "$file" 2>&1); then fail "helm template accepted $name"; fi
  grep -qF -- "$expect" <<<"$out" || fail "helm template's message does not say '$expect': $out"
  if out=$(helm install "$REL" "$CHART" -n "$NS" -f "$file" 2>&1); then
    track_release "$REL" "$NS"
    fail "helm install accepted $name"
  fi
  grep -qF -- "$expect" <<<"$out" || fail "helm install's message does not say '$expect': $out"
  say "  $(grep -F -- "$expect" <<<"$out" | sed -n 1p)"
}

refused replicas-string '- replicas: Invalid type. Expected: integer, given: string' <<'EOF'
replicas: "two"
EOF
refused replicas-negative '- replicas: Must be greater than or equal to 0' <<'EOF'
replicas: -1
EOF
refused qps-string '- kubeClient.qps: Invalid type. Expected: number, given: string' <<'EOF'
kubeClient:
  qps: "fast"
EOF
refused qps-zero '- kubeClient.qps: Must be greater than 0' <<'EOF'
kubeClient:
  qps: 0
EOF
refused burst-fraction '- kubeClient.burst: Invalid type. Expected: integer, given: number' <<'EOF'
kubeClient:
  burst: 2.5
EOF
refused log-format-xml '- logging.format: logging.format must be one of the following: "text", "json"' <<'EOF'
logging:
  format: xml
EOF
refused log-level-verbose '- logging.level: logging.level must be one of the following' <<'EOF'
logging:
  level: verbose
EOF
refused unknown-top-level-key '- (root): Additional property replica is not allowed' <<'EOF'
replica: 2
EOF
refused unknown-nested-key '- leaderElection: Additional property enable is not allowed' <<'EOF'
leaderElection:
  enable: false
EOF
refused namespace-not-dns1123 '- watchNamespaces.0: Does not match pattern' <<'EOF'
watchNamespaces: [Team_A]
EOF
refused pull-policy '- image.pullPolicy: image.pullPolicy must be one of the following' <<'EOF'
image:
  pullPolicy: Sometimes
EOF
refused metrics-port '- metrics.port: Must be less than or equal to 65535' <<'EOF'
metrics:
  port: 80800
EOF
refused tag-number '- image.tag: Invalid type. Expected: string, given: integer' <<'EOF'
image:
  tag: 1.0
EOF

step "nothing was left behind by the refused installs"
assert_eq "$(helm list -n "$NS" -a -q)" "" "releases"
assert_eq "$(k get deployment,serviceaccount,service,role,rolebinding -n "$NS" -l app.kubernetes.io/name=ray-operator -o name)" "" "objects"
assert_eq "$(k get clusterrole "$REL-ray-operator" -o name --ignore-not-found)" "" "ClusterRole"

step "a values file setting every key is accepted"
cat >"$E2E_TMP/all.yaml" <<EOF
image: {repository: registry.example/ray-operator, tag: "0.1.0", pullPolicy: Always}
imagePullSecrets: [{name: regcred}]
nameOverride: ""
fullnameOverride: ""
replicas: 2
strategy: {type: Recreate}
resources:
  requests: {cpu: 200m, memory: 256Mi}
  limits: {cpu: "2", memory: 1Gi}
watchNamespaces: [$NS]
singleNamespaceInstall: true
leaderElection: {enabled: true, namespace: $NS, id: my-operator-leader}
kubeClient: {qps: 20.5, burst: 40}
logging: {format: text, level: warn}
metrics:
  enabled: true
  port: 9090
  serviceMonitor: {enabled: true, interval: 1m, honorLabels: false, additionalLabels: {release: prom}, namespace: monitoring}
health: {port: 9091}
serviceAccount: {create: true, name: ray-op, annotations: {a: b}}
podAnnotations: {a: b}
podLabels: {team: ml}
nodeSelector: {kubernetes.io/os: linux}
affinity: {}
tolerations: [{key: dedicated, operator: Exists, effect: NoSchedule}]
priorityClassName: system-cluster-critical
podSecurityContext: {runAsNonRoot: true, runAsUser: 1000}
securityContext: {readOnlyRootFilesystem: true}
livenessProbe: {httpGet: {path: /healthz, port: health}}
readinessProbe: {httpGet: {path: /readyz, port: health}}
terminationGracePeriodSeconds: 30
env: [{name: EXTRA, value: "1"}]
extraArgs: ["--context=ignored"]
EOF
# Every key of values.yaml appears above, so a key added to one but not the other shows up here.
diff <(grep -oE '^[a-zA-Z]+' "$CHART/values.yaml" | sort -u) <(grep -oE '^[a-zA-Z]+' "$E2E_TMP/all.yaml" | sort -u) ||
  fail "values.yaml's keys and this test's full values file differ"
out=$(helm template "$REL" "$CHART" -n "$NS" -f "$E2E_TMP/all.yaml" 2>&1) || fail "refused: $out"
for a in --metrics-addr=:9090 --health-addr=:9091 "--leader-election-namespace=$NS" \
  --leader-election-id=my-operator-leader "--namespaces=$NS" --qps=20.5 --burst=40 --log-format=text \
  --log-level=warn '"--context=ignored"'; do
  grep -qF -- "- $a" <<<"$out" || fail "argument $a not rendered"
done
quiet_grep 'image: "registry.example/ray-operator:0.1.0"' <<<"$out" || fail "image not rendered"
