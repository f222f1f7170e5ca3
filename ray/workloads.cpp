#include "ray/workloads.hpp"

#include "ray/children.hpp"
#include "ray/constants.hpp"
#include "ray/pod_parts.hpp"

namespace ray {

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
  json spec = {{"replicas", desired_pods},
               {"selector",
                {{"matchLabels",
                  {{label_cluster, cluster_name},
                   {label_node_type, node_type_worker},
                   {label_group, group_name}}}}},
               {"template", std::move(tmpl)}};
  json what_the_user_wrote = {{"kind", to_string(kind)},
                              {"group", group_hash},
                              {"replicas", desired_pods},
                              {"strategy", to_string(strategy.type)},
                              {"maxUnavailable", strategy.max_unavailable},
                              {"maxSurge", strategy.max_surge}};
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

}  // namespace ray
