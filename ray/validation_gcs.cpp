// Validation of GCS fault tolerance: KubeRay's rules (ctrl/utils/validation.go), so that the
// Redis settings live in one place — gcsFaultToleranceOptions, or with the older
// ray.io/ft-enabled annotation the head's own env — and never in both.

#include <string>

#include "ray/pod_parts.hpp"
#include "ray/validation_support.hpp"

namespace ray::validation_detail {

namespace {

using detail::member;
using nlohmann::json;

bool head_env_has(const json& spec, const std::string& name) {
  const json& containers =
      member(member(member(member(spec, "headGroupSpec"), "template"), "spec"), "containers");
  if (!containers.is_array() || containers.empty()) return false;
  const json& env = member(containers[0], "env");
  if (!env.is_array()) return false;
  for (const auto& var : env)
    if (var.is_object() && var.value("name", "") == name) return true;
  return false;
}

// rocksdb's volume and env are the operator's: a user's own would mount something else there.
void check_rocksdb(checker& c, const json& spec, const json& options, const std::string& path) {
  const json* storage = c.object(options, "storage", path);
  if (storage) {
    const std::string storage_path = path + ".storage";
    for (const char* field : {"claimName", "size", "storageClassName", "subPath"})
      c.string(*storage, field, storage_path);
    c.one_of(*storage, "deletionPolicy", storage_path, {"DeleteWithCluster", "Retain"});
    if (!member(*storage, "claimName").is_null())
      for (const char* field : {"size", "storageClassName", "accessModes"})
        if (storage->contains(field))
          c.add(storage_path + "." + field,
                "describes a claim the operator would create, but claimName names an existing "
                "one; set one or the other");
  }
  for (const char* var : {"RAY_gcs_storage", "RAY_gcs_storage_path"})
    if (head_env_has(spec, var))
      c.add("spec.headGroupSpec.template.spec.containers[0].env",
            std::string("must not set ") + var + ": the rocksdb backend sets it");
  const json& pod = member(member(member(spec, "headGroupSpec"), "template"), "spec");
  const json& containers = member(pod, "containers");
  if (containers.is_array() && !containers.empty())
    for (const auto& m : member(containers[0], "volumeMounts").is_array()
                             ? member(containers[0], "volumeMounts")
                             : json::array())
      if (member(m, "name") == "gcs-storage" || member(m, "mountPath") == "/data/gcs")
        c.add("spec.headGroupSpec.template.spec.containers[0].volumeMounts",
              "must not mount gcs-storage or anything at /data/gcs: the rocksdb backend's "
              "volume goes there");
  if (member(pod, "volumes").is_array())
    for (const auto& v : member(pod, "volumes"))
      if (member(v, "name") == "gcs-storage")
        c.add("spec.headGroupSpec.template.spec.volumes",
              "must not name a volume gcs-storage: the rocksdb backend's volume has that name");
}

}  // namespace

void check_gcs_fault_tolerance(checker& c, const json& raycluster) {
  const json& spec = member(raycluster, "spec");
  const json& annotations = member(member(raycluster, "metadata"), "annotations");
  const json& params = member(member(spec, "headGroupSpec"), "rayStartParams");
  const std::string env_path = "spec.headGroupSpec.template.spec.containers[0].env";
  const std::string params_path = "spec.headGroupSpec.rayStartParams";
  const bool annotated = member(annotations, "ray.io/ft-enabled") == "true";

  // Ray reads a user name only from the options, through $REDIS_USERNAME.
  if (params.is_object() && params.contains("redis-username"))
    c.add(params_path + ".redis-username",
          "is not allowed; set gcsFaultToleranceOptions.redisUsername instead");
  if (head_env_has(spec, "REDIS_USERNAME"))
    c.add(env_path,
          "must not set REDIS_USERNAME; set gcsFaultToleranceOptions.redisUsername instead");

  const json* options = c.object(spec, "gcsFaultToleranceOptions", "spec");
  if (!options) {
    if (!annotated && head_env_has(spec, "RAY_REDIS_ADDRESS"))
      c.add(env_path,
            "sets RAY_REDIS_ADDRESS without GCS fault tolerance; set "
            "gcsFaultToleranceOptions.redisAddress instead");
    return;
  }
  const std::string path = "spec.gcsFaultToleranceOptions";
  if (annotated)
    c.add(path,
          "is set together with the annotation ray.io/ft-enabled; use one or the other "
          "(the options are the current form)");
  c.one_of(*options, "backend", path, {"redis", "rocksdb"});
  const bool rocksdb = member(*options, "backend") == "rocksdb";
  for (const char* field : {"redisAddress", "externalStorageNamespace"})
    c.string(*options, field, path);
  for (const char* field : {"redisUsername", "redisPassword"}) {
    const json* credential = c.object(*options, field, path);
    if (!credential) continue;
    const std::string credential_path = path + "." + field;
    c.string(*credential, "value", credential_path);
    const json* from = c.object(*credential, "valueFrom", credential_path);
    if (from && credential->contains("value"))
      c.add(credential_path, "sets both value and valueFrom; use one");
  }
  if (rocksdb) {
    for (const char* field :
         {"redisAddress", "redisUsername", "redisPassword", "externalStorageNamespace"})
      if (options->contains(field))
        c.add(path + "." + field, "is a Redis setting, but the backend is rocksdb");
    check_rocksdb(c, spec, *options, path);
  } else if (options->contains("storage")) {
    c.add(path + ".storage", "is the rocksdb backend's volume, but the backend is redis");
  }
  // The options own these; a second source would disagree with them.
  if (params.is_object() && params.contains("redis-password"))
    c.add(params_path + ".redis-password",
          "is not allowed with gcsFaultToleranceOptions; set its redisPassword instead");
  for (const char* var : {"REDIS_PASSWORD", "RAY_REDIS_ADDRESS"})
    if (head_env_has(spec, var))
      c.add(env_path, std::string("must not set ") + var +
                          " with gcsFaultToleranceOptions; set it in the options instead");
  if (annotations.is_object() && annotations.contains("ray.io/external-storage-namespace"))
    c.add("metadata.annotations.ray.io/external-storage-namespace",
          "is not allowed with gcsFaultToleranceOptions; set its externalStorageNamespace instead");
}

}  // namespace ray::validation_detail
