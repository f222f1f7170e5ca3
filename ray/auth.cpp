// Ray's token authentication as KubeRay sets it up (spec.authOptions, mode token): every Ray
// process of the cluster — the Ray containers, the autoscaler, the History Server's collector,
// the wait-gcs-ready init container — gets RAY_AUTH_MODE=token and the shared token from a Secret
// (the user's secretName, else <C>, which the operator makes), or with enableK8sTokenAuth the pod's
// projected ServiceAccount token instead.

#include <string>

#include "ray/children.hpp"
#include "ray/constants.hpp"
#include "ray/pod_parts.hpp"

namespace ray {

using detail::member;
using detail::text;
using nlohmann::json;

namespace {

constexpr const char* token_volume = "ray-token";
constexpr const char* token_mount_path = "/var/run/secrets/ray.io/serviceaccount";

const json& auth_options(const json& cluster) {
  return member(member(cluster, "spec"), "authOptions");
}

bool k8s_token_auth(const json& cluster) {
  return detail::flag(auth_options(cluster), "enableK8sTokenAuth");
}

void add_auth_env(json& container, const json& cluster) {
  if (!container.is_object()) return;
  detail::add_env(container, "RAY_AUTH_MODE", "token");
  if (k8s_token_auth(cluster)) {
    detail::add_env(container, "RAY_ENABLE_K8S_TOKEN_AUTH", "true");
    detail::add_mount(
        container, {{"name", token_volume}, {"mountPath", token_mount_path}, {"readOnly", true}});
    return;
  }
  json& env = container["env"];
  for (const auto& var : env)
    if (text(member(var, "name")) == "RAY_AUTH_TOKEN") return;
  env.push_back(
      {{"name", "RAY_AUTH_TOKEN"},
       {"valueFrom",
        {{"secretKeyRef", {{"name", auth_secret_name(cluster)}, {"key", auth_token_key}}}}}});
}

}  // namespace

bool token_auth_enabled(const json& cluster) {
  return text(member(auth_options(cluster), "mode")) == "token";
}

std::string auth_secret_name(const json& cluster) {
  const std::string own = text(member(auth_options(cluster), "secretName"));
  return own.empty() ? detail::cluster_name(cluster) : own;
}

void add_token_auth(json& pod_template, const json& cluster) {
  if (!token_auth_enabled(cluster)) return;
  json& spec = pod_template["spec"];
  json& containers = spec["containers"];
  if (containers.is_array())
    for (size_t i = 0; i < containers.size(); ++i)
      if (i == ray_container_index || text(member(containers[i], "name")) == autoscaler_container ||
          text(member(containers[i], "name")) == collector_container)
        add_auth_env(containers[i], cluster);
  if (spec["initContainers"].is_array())
    for (auto& init : spec["initContainers"])
      if (text(member(init, "name")) == "wait-gcs-ready") add_auth_env(init, cluster);
  if (!k8s_token_auth(cluster)) return;
  detail::add_volume(
      spec, {{"name", token_volume},
             {"projected", {{"sources", {{{"serviceAccountToken", {{"path", "token"}}}}}}}}});
}

json desired_auth_secret(const json& cluster) {
  if (!token_auth_enabled(cluster) || k8s_token_auth(cluster)) return nullptr;
  if (!text(member(auth_options(cluster), "secretName")).empty()) return nullptr;  // the user's
  return detail::with_hash(
      {{"apiVersion", "v1"},
       {"kind", "Secret"},
       {"metadata", detail::child_metadata(cluster, auth_secret_name(cluster),
                                           detail::child_labels(cluster, std::nullopt))},
       {"type", "Opaque"}});
}

}  // namespace ray
