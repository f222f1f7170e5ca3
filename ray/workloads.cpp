#include "ray/workloads.hpp"

#include <algorithm>
#include <utility>

#include "ray/children.hpp"
#include "ray/constants.hpp"
#include "ray/pod_parts.hpp"

namespace ray {

using detail::flag;
using detail::int_or;
using detail::member;
using detail::text;
using nlohmann::json;

workload_kind group_workload_kind(const json& group) {
  const std::string kind = text(member(group, "workloadKind"));
  if (kind == "Deployment") return workload_kind::deployment;
  if (kind == "StatefulSet") return workload_kind::statefulset;
  return workload_kind::pod;
}

const char* to_string(workload_kind kind) {
  switch (kind) {
    case workload_kind::deployment:
      return "Deployment";
    case workload_kind::statefulset:
      return "StatefulSet";
    case workload_kind::pod:
      break;
  }
  return "Pod";
}

namespace {

// The HPA's bounds, in pods: the group's in replicas times numOfHosts, within an int32 and the
// HPA's own rule that minReplicas is at least 1.
std::pair<int64_t, int64_t> hpa_bounds(const json& group) {
  constexpr int64_t int32_max = 2147483647;
  const int64_t hosts = std::max<int64_t>(1, int_or(group, "numOfHosts", 1));
  auto pods = [&](int64_t replicas) {
    return replicas > int32_max / hosts ? int32_max : std::max<int64_t>(0, replicas) * hosts;
  };
  const int64_t min = std::max<int64_t>(1, pods(int_or(group, "minReplicas", 0)));
  const int64_t max = std::max(min, pods(int_or(group, "maxReplicas", int32_max)));
  return {min, max};
}

}  // namespace

bool hpa_scales_group(const json& cluster, const json& group) {
  return member(group, "horizontalPodAutoscaler").is_object() &&
         group_workload_kind(group) != workload_kind::pod && !flag(group, "suspend") &&
         !flag(member(cluster, "spec"), "suspend");
}

std::string worker_workload_name(const std::string& cluster, const std::string& group) {
  return cluster + "-" + group;
}

json desired_worker_workload(const json& cluster, size_t group_index, const spec_hashes& hashes,
                             int64_t desired_pods) {
  const json& groups = member(member(cluster, "spec"), "workerGroupSpecs");
  if (!groups.is_array() || group_index >= groups.size()) return nullptr;
  const json& group = groups[group_index];
  const workload_kind kind = group_workload_kind(group);
  if (kind == workload_kind::pod) return nullptr;
  const std::string cluster_name = detail::cluster_name(cluster);
  const std::string group_name = text(member(group, "groupName"));

  json tmpl = desired_worker_pod_template(cluster, group_index);
  // Both controllers accept nothing else; a restarted Ray container rejoins as a new node.
  tmpl["spec"]["restartPolicy"] = "Always";
  json& annotations = tmpl["metadata"]["annotations"];
  const std::string group_hash =
      hashes.groups.count(group_name) ? hashes.groups.at(group_name) : std::string();
  if (!group_hash.empty()) annotations[annotation_group_spec_hash] = group_hash;
  // The cluster's hash only where a cluster-wide Recreate needs it: otherwise another group's
  // change would roll this one.
  const upgrade_strategy strategy = group_upgrade_strategy(cluster, group, desired_pods);
  const bool cluster_recreate = head_upgrade_type(cluster) == upgrade_type::recreate;
  if (cluster_recreate && !hashes.cluster.empty())
    annotations[annotation_cluster_spec_hash] = hashes.cluster;

  json labels = detail::child_labels(cluster, std::string(node_type_worker));
  labels[label_group] = group_name;
  // The HPA's from the start: created within its bounds (at 0 it would not scale at all), and
  // neither hashed nor patched after.
  const bool hpa = hpa_scales_group(cluster, group);
  if (hpa) {
    const auto [min, max] = hpa_bounds(group);
    desired_pods = std::clamp(desired_pods, min, max);
  }
  json spec = {{"replicas", desired_pods},
               {"selector",
                {{"matchLabels",
                  {{label_cluster, cluster_name},
                   {label_node_type, node_type_worker},
                   {label_group, group_name}}}}},
               {"template", std::move(tmpl)}};
  json what_the_user_wrote = {{"kind", to_string(kind)},
                              {"group", group_hash},
                              {"strategy", to_string(strategy.type)},
                              {"maxUnavailable", strategy.max_unavailable},
                              {"maxSurge", strategy.max_surge}};
  if (!hpa) what_the_user_wrote["replicas"] = desired_pods;
  if (cluster_recreate) what_the_user_wrote["cluster"] = hashes.cluster;
  if (kind == workload_kind::deployment) {
    if (strategy.type == upgrade_type::recreate)
      spec["strategy"] = {{"type", "Recreate"}};
    else
      spec["strategy"] = {
          {"type", "RollingUpdate"},
          {"rollingUpdate",
           {{"maxUnavailable", strategy.max_unavailable}, {"maxSurge", strategy.max_surge}}}};
  } else {
    spec["serviceName"] = workers_service_name(cluster_name);
    spec["podManagementPolicy"] = "Parallel";
    spec["updateStrategy"] = {
        {"type", strategy.type == upgrade_type::rolling_update ? "RollingUpdate" : "OnDelete"}};
    const json& claims = member(group, "volumeClaimTemplates");
    if (claims.is_array() && !claims.empty()) {
      spec["volumeClaimTemplates"] = claims;
      what_the_user_wrote["claims"] = claims;
    }
  }
  json meta = {{"name", worker_workload_name(cluster_name, group_name)},
               {"namespace", detail::cluster_namespace(cluster)},
               {"labels", std::move(labels)}};
  json object = {{"apiVersion", "apps/v1"},
                 {"kind", to_string(kind)},
                 {"metadata", std::move(meta)},
                 {"spec", std::move(spec)}};
  object["metadata"]["ownerReferences"] = detail::controller_owner_references(cluster);
  object["metadata"]["annotations"][annotation_spec_hash] = desired_spec_hash(what_the_user_wrote);
  return object;
}

json desired_worker_hpa(const json& cluster, size_t group_index, const std::string& api_version) {
  const json& groups = member(member(cluster, "spec"), "workerGroupSpecs");
  if (!groups.is_array() || group_index >= groups.size()) return nullptr;
  const json& group = groups[group_index];
  if (!hpa_scales_group(cluster, group)) return nullptr;
  const std::string cluster_name = detail::cluster_name(cluster);
  const std::string group_name = text(member(group, "groupName"));
  const std::string name = worker_workload_name(cluster_name, group_name);
  const auto [min, max] = hpa_bounds(group);
  const json& block = member(group, "horizontalPodAutoscaler");
  json spec = {{"scaleTargetRef",
                {{"apiVersion", "apps/v1"},
                 {"kind", to_string(group_workload_kind(group))},
                 {"name", name}}},
               {"minReplicas", min},
               {"maxReplicas", max}};
  const json& metrics = member(block, "metrics");
  if (metrics.is_array() && !metrics.empty()) spec["metrics"] = metrics;
  const json& behavior = member(block, "behavior");
  if (behavior.is_object() && !behavior.empty()) spec["behavior"] = behavior;

  json labels = detail::child_labels(cluster, std::string(node_type_worker));
  labels[label_group] = group_name;
  json object = {{"apiVersion", api_version},
                 {"kind", "HorizontalPodAutoscaler"},
                 {"metadata",
                  {{"name", name},
                   {"namespace", detail::cluster_namespace(cluster)},
                   {"labels", std::move(labels)}}},
                 {"spec", spec}};
  object["metadata"]["ownerReferences"] = detail::controller_owner_references(cluster);
  object["metadata"]["annotations"][annotation_spec_hash] = desired_spec_hash(spec);
  return object;
}

}  // namespace ray
