#pragma once
// Building blocks shared by ray_start.cpp, pod_template.cpp and children.cpp. Internal to
// ray/: the public API is ray_start.hpp and children.hpp.
//
// Inputs are with_defaults() output, but a RayCluster is still user data: every reader here
// tolerates a missing or wrongly-typed field instead of throwing.

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace ray::detail {

using nlohmann::json;

// obj[key] when obj is an object holding key, else a null.
const json& member(const json& obj, const char* key);
// A string as-is, a number as its decimal text, a bool as "true"/"false", anything else "".
// rayStartParams and quantities are strings in the schema, but YAML authors write `port: 6379`.
std::string text(const json& value);
// obj[key] when it is true; false when absent or not a bool (refused by validation).
bool flag(const json& obj, const char* key);
// obj[key] when it is an integer (above INT64_MAX: INT64_MAX), else `fallback`.
int64_t int_or(const json& obj, const char* key, int64_t fallback);

// "2.53.0", "2.53", "2.53.0rc1" by their leading numbers; anything unparseable counts as old.
bool ray_version_at_least(const std::string& version, int major, int minor, int patch);

std::string cluster_name(const json& cluster);
std::string cluster_namespace(const json& cluster);
bool autoscaling_enabled(const json& cluster);
// GCS fault tolerance: spec.gcsFaultToleranceOptions, or the older ray.io/ft-enabled: "true"
// annotation on the RayCluster.
bool gcs_ft_enabled(const json& cluster);
// The head's GCS port as text: head rayStartParams["port"], else 6379.
std::string head_port(const json& cluster);
// The head Service's name: headGroupSpec.headService.metadata.name, else "<C>-head-svc".
std::string head_service(const json& cluster);
// "<head Service>.<ns>.svc.cluster.local"
std::string head_fqdn(const json& cluster);

// The first `ulimit` part of every generated command; KUBERAY_GEN_RAY_START_CMD omits it.
constexpr const char* ulimit_prefix = "ulimit -n ${RAY_START_ULIMIT_OPEN_FILES:-65536}; ";

// Container env: appends {name, value} / {name, valueFrom.fieldRef} unless `name` is present.
void add_env(json& container, const std::string& name, const std::string& value);
void add_field_env(json& container, const std::string& name, const std::string& field_path);

// Adds `volume` to the pod (`mount` to the container) unless one of that name is there.
void add_volume(json& pod_spec, json volume);
void add_mount(json& container, json mount);

// Adds an emptyDir volume `volume` (unless the pod has one of that name) mounted at `path` in
// `container` (unless something is already mounted there). `empty_dir` is the emptyDir body.
void add_empty_dir(json& pod_spec, json& container, const std::string& volume,
                   const std::string& path, const json& empty_dir);

// Ray's env in the Ray container (KubeRay's setContainerEnvVars), only where absent.
void add_ray_env(json& container, const json& cluster, bool head, const std::string& start_cmd);
// /dev/shm as a memory-backed emptyDir, unless mounted already or plasma-directory is set.
void add_shared_memory(json& pod_spec, json& container, const json& params);
// Liveness and readiness probes, each only when the user set none.
void add_probes(json& container, const json& cluster, const json& params, bool head);
// The worker's `wait-gcs-ready` init container, built from the user's Ray container.
json wait_gcs_ready_container(const json& user_ray_container, const json& cluster);
// The head's `autoscaler` sidecar, built from the user's Ray container and autoscalerOptions.
json autoscaler_sidecar(const json& cluster, const json& user_ray_container);

// GCS fault tolerance (gcs_fault_tolerance.cpp). The cluster's namespace of keys in external
// storage: gcsFaultToleranceOptions.externalStorageNamespace, else the annotation
// ray.io/external-storage-namespace, else the RayCluster's uid.
std::string external_storage_namespace(const json& cluster);
// The head's redis-password / redis-username flags, read from the env add_gcs_ft sets.
void add_gcs_ft_params(json& params, const json& cluster, bool head);
// Env and annotations of head and workers, when GCS fault tolerance is on; with rocksdb, the
// head's volume of its claim (gcs_storage_claim_name) at /data/gcs.
void add_gcs_ft(json& pod_meta, json& pod_spec, json& ray_container, const json& cluster,
                bool head);
// spec.gcsFaultToleranceOptions (null when absent), and whether its backend is rocksdb.
const json& ft_options(const json& cluster);
bool rocksdb(const json& cluster);
// rocksdb's claim: gcsFaultToleranceOptions.storage.claimName, else "<C>-gcs-pvc".
std::string gcs_storage_claim_name(const json& cluster);

// The controller ownerReference every child carries (to the RayCluster's storage version).
json controller_owner_references(const json& cluster);

// Labels every child of the cluster carries; `node_type` adds node-type and identifier.
json child_labels(const json& cluster, const std::optional<std::string>& node_type);
// A child's metadata: name, the cluster's namespace, `labels`, the controller reference.
json child_metadata(const json& cluster, const std::string& name, json labels);
// `object` annotated with the hash of the rest of it (ray.io/desired-spec-hash).
json with_hash(json object);

}  // namespace ray::detail
