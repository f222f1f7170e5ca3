{{/*
Names are cut to 63 characters because label values and DNS-1123 names allow no more.
*/}}
{{- define "ray-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "ray-operator.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "ray-operator.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Selector labels never change after the first install: a Deployment's selector is immutable.
*/}}
{{- define "ray-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "ray-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "ray-operator.labels" -}}
helm.sh/chart: {{ include "ray-operator.chart" . }}
{{ include "ray-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: operator
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "ray-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "ray-operator.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "ray-operator.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{- define "ray-operator.leaderElectionNamespace" -}}
{{- default .Release.Namespace .Values.leaderElection.namespace }}
{{- end }}

{{/*
The namespaces the operator watches, comma-separated; empty means every namespace.
singleNamespaceInstall without a list means the release namespace alone.
*/}}
{{- define "ray-operator.watchNamespaces" -}}
{{- if .Values.watchNamespaces }}
{{- join "," (uniq .Values.watchNamespaces) }}
{{- else if .Values.singleNamespaceInstall }}
{{- .Release.Namespace }}
{{- end }}
{{- end }}

{{/*
The operator's permissions, shared by the ClusterRole and the per-namespace Roles.
Each verb is one the operator uses; docs/install.md explains them rule by rule.
pods patch, pods/resize patch and rayclusters get/patch are there because the operator creates
a Role granting them to each cluster's autoscaler, and RBAC refuses to create a Role that grants
more than its creator holds (without the far broader "escalate" verb, deliberately not granted).
*/}}
{{- define "ray-operator.rules" -}}
- apiGroups: ["ray.io"]
  resources: ["rayclusters"]
  verbs: ["get", "list", "watch", "patch"]
- apiGroups: ["ray.io"]
  resources: ["rayclusters/status"]
  verbs: ["get", "patch", "update"]
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["get", "list", "watch", "create", "delete", "patch"]
- apiGroups: [""]
  resources: ["pods/resize"]
  verbs: ["patch"]
- apiGroups: [""]
  resources: ["services"]
  # delete: the head Service under its old name, once headService.metadata.name renames it
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
- apiGroups: [""]
  resources: ["serviceaccounts"]
  verbs: ["get", "list", "watch", "create", "patch"]
- apiGroups: [""]
  resources: ["persistentvolumeclaims"]
  # the GCS's claim with gcsFaultToleranceOptions.backend rocksdb; made once, never changed
  verbs: ["get", "list", "watch", "create"]
- apiGroups: ["cert-manager.io"]
  resources: ["issuers", "certificates"]
  # tlsOptions: the cluster's CA and its two certificates
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
- apiGroups: ["networking.k8s.io"]
  resources: ["ingresses", "networkpolicies"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
- apiGroups: [""]
  resources: ["secrets"]
  # get: the Redis password a RayCluster's gcsFaultToleranceOptions names, read for the cleanup
  # of its keys when it is deleted. create, and list/watch (with a label selector: only the
  # operator's own reach it): the token Secret of authOptions mode token.
  verbs: ["get", "list", "watch", "create"]
- apiGroups: [""]
  resources: ["events"]
  verbs: ["create", "patch"]
- apiGroups: ["apps"]
  resources: ["statefulsets", "deployments"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
- apiGroups: ["autoscaling"]
  resources: ["horizontalpodautoscalers"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
- apiGroups: ["rbac.authorization.k8s.io"]
  resources: ["roles", "rolebindings"]
  verbs: ["get", "list", "watch", "create", "patch"]
{{- end }}
