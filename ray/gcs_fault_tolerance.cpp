// GCS fault tolerance as KubeRay sets it up (spec.gcsFaultToleranceOptions, or the older
// ray.io/ft-enabled: "true" annotation with the Redis settings in the head's own env): the head
// keeps the cluster's state in external storage under one namespace of keys, so a restarted
// head resumes the same cluster, and workers wait for it long enough not to exit meanwhile.

#include <string>

#include "ray/children.hpp"
#include "ray/constants.hpp"
#include "ray/pod_parts.hpp"

namespace ray::detail {

const json& ft_options(const json& cluster) {
  return member(member(cluster, "spec"), "gcsFaultToleranceOptions");
}

bool rocksdb(const json& cluster) {
  return text(member(ft_options(cluster), "backend")) == "rocksdb";
}

namespace {

constexpr const char* storage_namespace_annotation = "ray.io/external-storage-namespace";
// rocksdb's volume, as KubeRay names and mounts it (validation keeps users' mounts off both).
constexpr const char* gcs_storage_volume = "gcs-storage";
constexpr const char* gcs_storage_path = "/data/gcs";

// A RedisCredential as an env var: its value, or where to read it from (a Secret's key).
void add_credential_env(json& container, const std::string& name, const json& credential) {
  if (!credential.is_object()) return;
  json& env = container["env"];
  if (!env.is_array()) env = json::array();
  for (const auto& var : env)
    if (text(member(var, "name")) == name) return;
  if (member(credential, "valueFrom").is_object())
    env.push_back({{"name", name}, {"valueFrom", credential["valueFrom"]}});
  else
    env.push_back({{"name", name}, {"value", text(member(credential, "value"))}});
}

}  // namespace

std::string external_storage_namespace(const json& cluster) {
  std::string ns = text(member(ft_options(cluster), "externalStorageNamespace"));
  if (ns.empty())
    ns = text(
        member(member(member(cluster, "metadata"), "annotations"), storage_namespace_annotation));
  // The uid: a cluster deleted and created again under the same name starts afresh.
  if (ns.empty()) ns = text(member(member(cluster, "metadata"), "uid"));
  return ns;
}

void add_gcs_ft_params(json& params, const json& cluster, bool head) {
  if (!head) return;
  const json& options = ft_options(cluster);
  // Expanded by bash from the env below, so the password never appears in the pod spec.
  if (member(options, "redisPassword").is_object()) params["redis-password"] = "$REDIS_PASSWORD";
  if (member(options, "redisUsername").is_object()) params["redis-username"] = "$REDIS_USERNAME";
}

std::string gcs_storage_claim_name(const json& cluster) {
  const std::string claim = text(member(member(ft_options(cluster), "storage"), "claimName"));
  return claim.empty() ? cluster_name(cluster) + "-gcs-pvc" : claim;
}

void add_gcs_ft(json& pod_meta, json& pod_spec, json& ray_container, const json& cluster,
                bool head) {
  if (!gcs_ft_enabled(cluster)) return;
  if (!head) {
    // Ray's 60 s default is shorter than a head restart: workers would exit and be replaced.
    add_env(ray_container, "RAY_gcs_rpc_server_reconnect_timeout_s", "600");
    return;
  }
  if (rocksdb(cluster)) {
    add_env(ray_container, "RAY_gcs_storage", "rocksdb");
    add_env(ray_container, "RAY_gcs_storage_path", gcs_storage_path);
    json mount = {{"name", gcs_storage_volume}, {"mountPath", gcs_storage_path}};
    const std::string sub_path = text(member(member(ft_options(cluster), "storage"), "subPath"));
    if (!sub_path.empty()) mount["subPath"] = sub_path;
    if (!ray_container["volumeMounts"].is_array()) ray_container["volumeMounts"] = json::array();
    ray_container["volumeMounts"].push_back(std::move(mount));
    if (!pod_spec["volumes"].is_array()) pod_spec["volumes"] = json::array();
    pod_spec["volumes"].push_back(
        {{"name", gcs_storage_volume},
         {"persistentVolumeClaim", {{"claimName", gcs_storage_claim_name(cluster)}}}});
    return;
  }
  const std::string ns = external_storage_namespace(cluster);
  pod_meta["annotations"][storage_namespace_annotation] = ns;
  add_env(ray_container, "RAY_external_storage_namespace", ns);
  const json& options = ft_options(cluster);
  const std::string address = text(member(options, "redisAddress"));
  if (!address.empty()) add_env(ray_container, "RAY_REDIS_ADDRESS", address);
  add_credential_env(ray_container, "REDIS_USERNAME", member(options, "redisUsername"));
  add_credential_env(ray_container, "REDIS_PASSWORD", member(options, "redisPassword"));
}

}  // namespace ray::detail

namespace ray {

using detail::member;
using detail::text;
using nlohmann::json;

json desired_gcs_storage_claim(const json& cluster) {
  const json& options = detail::ft_options(cluster);
  if (!detail::gcs_ft_enabled(cluster) || !detail::rocksdb(cluster)) return nullptr;
  const json& storage = member(options, "storage");
  if (!text(member(storage, "claimName")).empty()) return nullptr;  // the user's own claim
  const std::string size = text(member(storage, "size"));
  json modes = member(storage, "accessModes");
  if (!modes.is_array() || modes.empty()) modes = json::array({"ReadWriteOnce"});
  json claim = {
      {"apiVersion", "v1"},
      {"kind", "PersistentVolumeClaim"},
      {"metadata", detail::child_metadata(cluster, detail::gcs_storage_claim_name(cluster),
                                          detail::child_labels(cluster, std::nullopt))},
      {"spec",
       {{"accessModes", modes},
        {"resources", {{"requests", {{"storage", size.empty() ? "1Gi" : size}}}}}}}};
  // Retain: no owner, so the claim (and the GCS state on it) outlives the RayCluster, and a
  // cluster made again under the same name finds it.
  if (text(member(storage, "deletionPolicy")) == "Retain")
    claim["metadata"].erase("ownerReferences");
  if (!text(member(storage, "storageClassName")).empty())
    claim["spec"]["storageClassName"] = text(member(storage, "storageClassName"));
  return detail::with_hash(std::move(claim));
}

}  // namespace ray
