#include "sandbox/kubelet_sim/pod_view.hpp"

#include <charconv>

#include "k8s/object_meta.hpp"

namespace kubelet_sim {

namespace {

std::string string_at(const nlohmann::json& obj, const char* key) {
  if (!obj.is_object()) return {};
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::vector<container_info> containers_of(const nlohmann::json& spec, const char* key) {
  std::vector<container_info> out;
  if (!spec.is_object() || !spec.contains(key) || !spec[key].is_array()) return out;
  for (const auto& c : spec[key]) out.push_back({string_at(c, "name"), string_at(c, "image")});
  return out;
}

}  // namespace

uint64_t resource_version_number(const nlohmann::json& object) {
  const std::string rv = k8s::resource_version(object);
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(rv.data(), rv.data() + rv.size(), v);
  return ec == std::errc() && p == rv.data() + rv.size() ? v : 0;
}

pod_view pod_view_of(const nlohmann::json& pod) {
  pod_view v;
  v.ns = k8s::namespace_of(pod);
  v.name = k8s::name(pod);
  v.uid = k8s::uid(pod);
  v.resource_version = resource_version_number(pod);
  v.created = k8s::creation_timestamp(pod);
  v.deleting = k8s::is_being_deleted(pod);
  v.faults = parse_pod_faults(k8s::annotations(pod));

  const auto spec = pod.value("spec", nlohmann::json::object());
  v.node_name = string_at(spec, "nodeName");
  v.restart_policy = string_at(spec, "restartPolicy");
  if (v.restart_policy.empty()) v.restart_policy = "Always";
  v.requests = pod_requests(spec);
  if (spec.contains("nodeSelector") && spec["nodeSelector"].is_object())
    for (const auto& [key, value] : spec["nodeSelector"].items())
      if (value.is_string()) v.node_selector[key] = value.get<std::string>();
  v.containers = containers_of(spec, "containers");
  v.init_containers = containers_of(spec, "initContainers");

  if (pod.contains("status") && pod["status"].is_object()) v.status = pod["status"];
  v.phase = string_at(v.status, "phase");
  return v;
}

std::vector<std::string> pod_ips(const nlohmann::json& pod_status) {
  std::vector<std::string> out;
  if (auto ip = string_at(pod_status, "podIP"); !ip.empty()) out.push_back(ip);
  if (pod_status.is_object() && pod_status.contains("podIPs") && pod_status["podIPs"].is_array())
    for (const auto& entry : pod_status["podIPs"])
      if (auto ip = string_at(entry, "ip"); !ip.empty()) out.push_back(ip);
  return out;
}

}  // namespace kubelet_sim
