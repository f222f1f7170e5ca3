// The History Server's collector, as KubeRay injects it (spec.historyServerOptions
// .collectorOptions): a sidecar in every head and worker pod that receives Ray's events on
// localhost:8084 and reads the logs under /tmp/ray, which it shares with the Ray container. The
// History Server itself is deployed by the user; no other object is made for it.

#include <string>

#include "ray/children.hpp"
#include "ray/constants.hpp"
#include "ray/pod_parts.hpp"

namespace ray {

using detail::member;
using detail::text;
using nlohmann::json;

namespace {

// Every event type the collector keeps (Ray 2.54 accepts "ALL"; this list works from 2.52).
constexpr const char* event_types =
    "TASK_DEFINITION_EVENT,TASK_LIFECYCLE_EVENT,ACTOR_TASK_DEFINITION_EVENT,TASK_PROFILE_EVENT,"
    "DRIVER_JOB_DEFINITION_EVENT,DRIVER_JOB_LIFECYCLE_EVENT,ACTOR_DEFINITION_EVENT,"
    "ACTOR_LIFECYCLE_EVENT,NODE_DEFINITION_EVENT,NODE_LIFECYCLE_EVENT";

const json& collector_options(const json& cluster) {
  return member(member(member(cluster, "spec"), "historyServerOptions"), "collectorOptions");
}

bool env_has(const json& env, const std::string& name) {
  if (!env.is_array()) return false;
  for (const auto& var : env)
    if (text(member(var, "name")) == name) return true;
  return false;
}

json collector(const json& cluster, bool head) {
  const json& options = collector_options(cluster);
  const std::string policy = text(member(options, "imagePullPolicy"));
  json resources = member(options, "resources");
  if (!resources.is_object())
    resources = json::parse(R"({"requests": {"cpu": "50m", "memory": "64Mi"},
                               "limits": {"cpu": "200m", "memory": "256Mi"}})");
  json c = {{"name", collector_container},
            {"image", text(member(options, "image"))},
            {"imagePullPolicy", policy.empty() ? "IfNotPresent" : policy},
            {"resources", std::move(resources)},
            {"env", json::array()}};
  detail::add_field_env(c, "POD_IP", "status.podIP");
  detail::add_env(c, "RAY_CLUSTER_NAME", detail::cluster_name(cluster));
  detail::add_env(c, "RAY_CLUSTER_NAMESPACE", detail::cluster_namespace(cluster));
  detail::add_env(c, "RAY_ROLE", head ? "Head" : "Worker");
  detail::add_env(c, "EVENTS_PORT", "8084");
  detail::add_env(c, "FQ_RAY_IP", detail::head_fqdn(cluster));
  const json& labels = member(member(cluster, "metadata"), "labels");
  if (!text(member(labels, "ray.io/originated-from-crd")).empty())
    detail::add_env(c, "OWNER_KIND", text(member(labels, "ray.io/originated-from-crd")));
  if (!text(member(labels, "ray.io/originated-from-cr-name")).empty())
    detail::add_env(c, "OWNER_NAME", text(member(labels, "ray.io/originated-from-cr-name")));
  const json& user_env = member(options, "env");
  if (head && !env_has(user_env, "RAY_DASHBOARD_ADDRESS"))
    detail::add_env(c, "RAY_DASHBOARD_ADDRESS",
                    "http://localhost:" + std::to_string(port_dashboard));
  if (user_env.is_array())
    for (const auto& var : user_env) c["env"].push_back(var);
  return c;
}

}  // namespace

bool history_collector_enabled(const json& cluster) {
  return collector_options(cluster).is_object();
}

void add_history_collector(json& pod_template, const json& cluster, bool head) {
  if (!history_collector_enabled(cluster)) return;
  json& spec = pod_template["spec"];
  json& containers = spec["containers"];
  if (!containers.is_array() || containers.empty()) return;
  for (const auto& c : containers)
    if (text(member(c, "name")) == collector_container) return;  // refused by validation
  json& ray = containers[ray_container_index];
  detail::add_env(ray, "RAY_enable_ray_event", "true");
  detail::add_env(ray, "RAY_enable_core_worker_ray_event_to_aggregator", "true");
  detail::add_env(ray, "RAY_DASHBOARD_AGGREGATOR_AGENT_EVENTS_EXPORT_ADDR",
                  "http://localhost:8084/v1/events");
  detail::add_env(ray, "RAY_DASHBOARD_AGGREGATOR_AGENT_EXPOSABLE_EVENT_TYPES", event_types);
  detail::add_env(ray,
                  "RAY_DASHBOARD_AGGREGATOR_AGENT_PUBLISHER_HTTP_ENDPOINT_EXPOSABLE_EVENT_TYPES",
                  event_types);
  json sidecar = collector(cluster, head);
  // Ray's logs and session files, which the collector uploads.
  const json logs = json::object();
  detail::add_empty_dir(spec, ray, "ray-logs", "/tmp/ray", logs);
  detail::add_empty_dir(spec, sidecar, "ray-logs", "/tmp/ray", logs);
  containers.push_back(std::move(sidecar));
}

}  // namespace ray
