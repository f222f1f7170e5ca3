#include "ray/observed.hpp"

#include "k8s/object_meta.hpp"
#include "ray/constants.hpp"
#include "ray/updates.hpp"

namespace ray {

namespace {

using nlohmann::json;

const json& member(const json& obj, const char* key) {
  static const json absent;
  if (!obj.is_object()) return absent;
  auto it = obj.find(key);
  return it == obj.end() ? absent : *it;
}

std::string text(const json& v) {
  return v.is_string() ? v.get<std::string>() : std::string();
}

const json& pod_condition(const json& pod, const std::string& type) {
  static const json absent;
  const json& conditions = member(member(pod, "status"), "conditions");
  if (!conditions.is_array()) return absent;
  for (const json& c : conditions)
    if (text(member(c, "type")) == type) return c;
  return absent;
}

std::string state_reason(const json& container_status) {
  const json& state = member(container_status, "state");
  std::string reason = text(member(member(state, "waiting"), "reason"));
  if (reason.empty()) reason = text(member(member(state, "terminated"), "reason"));
  return reason;
}

// Positions in containerStatuses follow the kubelet's sort by name, not spec.containers, so
// the Ray container's status has to be found by its name.
const json& ray_container_status(const json& pod) {
  static const json absent;
  const json& containers = member(member(pod, "spec"), "containers");
  if (!containers.is_array() || containers.size() <= size_t{ray_container_index}) return absent;
  std::string name = text(member(containers[ray_container_index], "name"));
  const json& statuses = member(member(pod, "status"), "containerStatuses");
  if (name.empty() || !statuses.is_array()) return absent;
  for (const json& s : statuses)
    if (text(member(s, "name")) == name) return s;
  return absent;
}

// The Ray container speaks first because its failure is the one that matters; the pod's own
// conditions are the fallback when no container says anything (readiness probe failing,
// not yet scheduled).
std::string not_ready_reason(const json& pod, const json& ray_status) {
  std::string reason = state_reason(ray_status);
  if (!reason.empty()) return reason;
  const json& statuses = member(member(pod, "status"), "containerStatuses");
  if (statuses.is_array()) {
    for (const json& s : statuses) {
      if (&s == &ray_status) continue;
      reason = state_reason(s);
      if (!reason.empty()) return reason;
    }
  }
  const json& ready = pod_condition(pod, "Ready");
  reason = text(member(ready, "reason"));
  if (!reason.empty() && text(member(ready, "status")) != "True") return reason;
  const json& scheduled = pod_condition(pod, "PodScheduled");
  if (text(member(scheduled, "status")) == "False") return text(member(scheduled, "reason"));
  return {};
}

}  // namespace

observed_pod reduce_pod(const json& pod) {
  observed_pod out;
  out.name = k8s::name(pod);
  out.uid = k8s::uid(pod);
  out.resource_version = k8s::resource_version(pod);
  out.creation_timestamp = k8s::creation_timestamp(pod);
  if (auto owner = k8s::controller_of(pod)) out.owner_kind = owner->kind;
  out.group_hash = k8s::annotation(pod, annotation_group_spec_hash).value_or("");
  out.cluster_hash = k8s::annotation(pod, annotation_cluster_spec_hash).value_or("");
  out.group = k8s::label(pod, label_group).value_or("");
  out.is_head = k8s::label(pod, label_node_type).value_or("") == node_type_head;
  out.deleting = k8s::is_being_deleted(pod);

  const json& spec = member(pod, "spec");
  const json& status = member(pod, "status");
  out.restart_policy = text(member(spec, "restartPolicy"));
  if (out.restart_policy.empty()) out.restart_policy = "Always";
  out.node_name = text(member(spec, "nodeName"));
  out.phase = text(member(status, "phase"));
  out.pod_ip = text(member(status, "podIP"));

  out.ready = text(member(pod_condition(pod, "Ready"), "status")) == "True";
  const json& scheduled = pod_condition(pod, "PodScheduled");
  out.unschedulable = text(member(scheduled, "status")) == "False" &&
                      text(member(scheduled, "reason")) == "Unschedulable";

  const json& ray_status = ray_container_status(pod);
  out.ray_container_terminated = member(member(ray_status, "state"), "terminated").is_object();
  if (!out.ready) out.not_ready_reason = not_ready_reason(pod, ray_status);
  return out;
}

observed_service reduce_service(const json& service) {
  observed_service out;
  out.name = k8s::name(service);
  out.uid = k8s::uid(service);
  const json& spec = member(service, "spec");
  out.cluster_ip = text(member(spec, "clusterIP"));
  const json& ports = member(spec, "ports");
  if (!ports.is_array()) return out;
  for (const json& p : ports) {
    std::string name = text(member(p, "name"));
    if (name.empty()) continue;
    // KubeRay reports the nodePort when there is one, else the targetPort (which the API
    // server defaults to the port); a named targetPort has no number, so the port stands in.
    int number = 0;
    for (const char* key : {"nodePort", "targetPort", "port"}) {
      const json& v = member(p, key);
      if (v.is_number_integer() && v.get<int64_t>() > 0 && v.get<int64_t>() <= 65535) {
        number = v.get<int>();
        break;
      }
    }
    if (number > 0) out.ports.emplace_back(name, number);
  }
  return out;
}

bool should_replace(const observed_pod& pod) {
  if (pod.phase == "Failed" || pod.phase == "Succeeded") return true;
  // With Always or OnFailure the kubelet restarts the container in place.
  return pod.ray_container_terminated && pod.restart_policy == "Never";
}

}  // namespace ray
