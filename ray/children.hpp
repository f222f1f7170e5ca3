#pragma once
// The desired children of a RayCluster, built from with_defaults() output. Pure functions: the
// actors compare these with what they observe (through the spec-hash annotation) and write
// the difference. Every child carries a controller ownerReference to the RayCluster (so
// deleting it garbage-collects them), the labels Ray's tools rely on, and the annotation
// ray.io/desired-spec-hash (a hash of the rest of the desired object).

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ray/updates.hpp"

namespace ray {

// The Pod template of the head: the Ray container gets `ray start --head ...`, Ray's env,
// ports, /dev/shm, probes when none are set; with in-tree autoscaling, the `autoscaler`
// sidecar, the shared /tmp/ray volume and the autoscaler's service account.
nlohmann::json desired_head_pod_template(const nlohmann::json& cluster);
// Likewise for a worker group: `ray start --address=...`, the wait-gcs-ready init container,
// restartPolicy Never unless the template sets one.
nlohmann::json desired_worker_pod_template(const nlohmann::json& cluster, size_t group_index);

// StatefulSet <C>-head: 1 replica (0 when spec.suspend), the head pod template (annotated
// with `hashes`), optional volumeClaimTemplates from headGroupSpec.volumeClaimTemplates. Its
// updateStrategy is OnDelete whatever the cluster's strategy: the operator decides when the
// head pod is replaced (see updates.hpp), so a template the operator derives differently
// never restarts it.
nlohmann::json desired_head_statefulset(const nlohmann::json& cluster,
                                        const spec_hashes& hashes = {});
// Service <C>-head-svc: the head's type, its named ports or the five defaults.
nlohmann::json desired_head_service(const nlohmann::json& cluster);
// Service <C>-workers: headless, publishNotReadyAddresses, selecting the cluster's workers.
nlohmann::json desired_workers_service(const nlohmann::json& cluster);
// One worker Pod of a group (metadata.generateName "<C>-<group>-worker-"), annotated with
// `hashes`.
nlohmann::json desired_worker_pod(const nlohmann::json& cluster, size_t group_index,
                                  const spec_hashes& hashes = {});

// With in-tree autoscaling: the autoscaler's ServiceAccount (null when the head template names
// its own, which the user must then create), Role and RoleBinding, all named <C>.
nlohmann::json desired_autoscaler_service_account(const nlohmann::json& cluster);
nlohmann::json desired_autoscaler_role(const nlohmann::json& cluster);
nlohmann::json desired_autoscaler_role_binding(const nlohmann::json& cluster);

// GCS fault tolerance on rocksdb: the head's PersistentVolumeClaim <C>-gcs-pvc (1Gi,
// ReadWriteOnce unless storage says otherwise; no owner with deletionPolicy Retain). Null
// without rocksdb, or when storage.claimName names the user's own claim.
nlohmann::json desired_gcs_storage_claim(const nlohmann::json& cluster);

// headGroupSpec.enableIngress: Ingress <C>-head-ingress to the head Service's dashboard port,
// with the RayCluster's annotations (kubernetes.io/ingress.class becomes ingressClassName).
// Without ingressOptions the path is KubeRay's "/<C>/(.*)" (Exact); with them, its path (default
// "/"), pathType (default Prefix), host and tls. Null when not enabled.
nlohmann::json desired_head_ingress(const nlohmann::json& cluster);
std::string head_ingress_name(const std::string& cluster);
// spec.networkPolicy: NetworkPolicy <C>-head, and <C>-workers-<group> for every worker group.
// Each always allows the cluster's own pods (both ways); the user's rules follow; the mode
// (DenyAll, DenyAllIngress, DenyAllEgress) says which directions are restricted. A group's
// networkPolicy.workerGroups entry replaces networkPolicy.worker for it. Empty when unset.
std::vector<nlohmann::json> desired_network_policies(const nlohmann::json& cluster);

// The History Server's collector (historyServerOptions.collectorOptions): the sidecar
// "collector" in every Ray pod, Ray's event export to it, and /tmp/ray shared with it.
bool history_collector_enabled(const nlohmann::json& cluster);
void add_history_collector(nlohmann::json& pod_template, const nlohmann::json& cluster, bool head);

// Mutual TLS (spec.tlsOptions.enabled) through cert-manager (tls.cpp): the cluster's own CA —
// Issuer <C>-selfsigned, Certificate <C>-ca, Issuer <C>-ca — and the Certificates <C>-head and
// <C>-worker (Secrets <C>-head-tls, <C>-worker-tls) naming `ips`, the pods' IPs; in every Ray pod
// the certificate's volume, Ray's TLS env and the init container wait-for-tls-ip-san.
bool tls_enabled(const nlohmann::json& cluster);
std::string tls_certificate_name(const std::string& cluster, bool head);
std::string tls_secret_name(const std::string& cluster, bool head);
std::vector<nlohmann::json> desired_tls_authority(const nlohmann::json& cluster);
nlohmann::json desired_tls_certificate(const nlohmann::json& cluster, bool head,
                                       const std::vector<std::string>& ips);
void add_tls(nlohmann::json& pod_template, const nlohmann::json& cluster, bool head);

// Token authentication (spec.authOptions.mode token). The Secret holding the shared token: the
// user's authOptions.secretName, else <C>.
bool token_auth_enabled(const nlohmann::json& cluster);
std::string auth_secret_name(const nlohmann::json& cluster);
constexpr const char* auth_token_key = "auth_token";
// RAY_AUTH_MODE and the token (RAY_AUTH_TOKEN from the Secret, or with enableK8sTokenAuth the
// projected ServiceAccount token) for the Ray container, the autoscaler and wait-gcs-ready.
void add_token_auth(nlohmann::json& pod_template, const nlohmann::json& cluster);
// The Secret <C> the operator makes for a shared token, without its data: the token is random,
// written once at creation (so it is not in the hash), and never changed. Null with
// secretName, with enableK8sTokenAuth, or without token auth.
nlohmann::json desired_auth_secret(const nlohmann::json& cluster);

// The spec-hash annotation's value for an object (computed over everything but that annotation).
std::string desired_spec_hash(const nlohmann::json& object);

}  // namespace ray
