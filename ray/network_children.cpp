// The children that shape the cluster's network, as KubeRay builds them: the head's Ingress
// (headGroupSpec.enableIngress, ingressOptions) and the NetworkPolicies of spec.networkPolicy.

#include <string>

#include "ray/children.hpp"
#include "ray/constants.hpp"
#include "ray/pod_parts.hpp"

namespace ray {

using detail::member;
using detail::text;
using nlohmann::json;

namespace {

// The head container's port named "dashboard", else Ray's default.
int dashboard_port(const json& cluster) {
  const json tmpl = desired_head_pod_template(cluster);
  const json& containers = member(member(tmpl, "spec"), "containers");
  if (containers.is_array() && !containers.empty())
    for (const auto& p :
         member(containers[0], "ports").is_array() ? member(containers[0], "ports") : json::array())
      if (text(member(p, "name")) == "dashboard" && member(p, "containerPort").is_number_integer())
        return member(p, "containerPort").get<int>();
  return port_dashboard;
}

}  // namespace

std::string head_ingress_name(const std::string& cluster) {
  return cluster + "-head-ingress";
}

json desired_head_ingress(const json& cluster) {
  const json& head = member(member(cluster, "spec"), "headGroupSpec");
  if (!detail::flag(head, "enableIngress")) return nullptr;
  const std::string name = detail::cluster_name(cluster);
  json labels = detail::child_labels(cluster, std::string(node_type_head));
  labels.erase(label_node_type);  // KubeRay's: the cluster and the head's identifier
  json meta = detail::child_metadata(cluster, head_ingress_name(name), std::move(labels));
  // The RayCluster's annotations configure the Ingress controller (a rewrite target, say);
  // the legacy class annotation becomes the class field.
  json annotations = json::object();
  std::string ingress_class;
  const json& from = member(member(cluster, "metadata"), "annotations");
  if (from.is_object())
    for (const auto& [key, value] : from.items()) {
      if (!value.is_string()) continue;
      if (key == "kubernetes.io/ingress.class")
        ingress_class = value.get<std::string>();
      else
        annotations[key] = value;
    }
  if (!annotations.empty()) meta["annotations"] = std::move(annotations);

  const json& options = member(head, "ingressOptions");
  // Without ingressOptions, KubeRay's path under the cluster's name (its samples pair it with a
  // rewrite-target annotation); with them, "/" as Prefix unless they say otherwise.
  std::string path = "/" + name + "/(.*)", path_type = "Exact";
  if (options.is_object()) {
    path = text(member(options, "path"));
    if (path.empty()) path = "/";
    path_type = text(member(options, "pathType"));
    if (path_type.empty()) path_type = "Prefix";
  }
  json rule = {{"http",
                {{"paths",
                  {{{"path", path},
                    {"pathType", path_type},
                    {"backend",
                     {{"service",
                       {{"name", detail::head_service(cluster)},
                        {"port", {{"number", dashboard_port(cluster)}}}}}}}}}}}}};
  if (!text(member(options, "host")).empty()) rule["host"] = text(member(options, "host"));
  json spec = {{"rules", json::array({rule})}};
  if (!ingress_class.empty()) spec["ingressClassName"] = ingress_class;
  if (member(options, "tls").is_array() && !member(options, "tls").empty())
    spec["tls"] = member(options, "tls");
  return detail::with_hash({{"apiVersion", "networking.k8s.io/v1"},
                            {"kind", "Ingress"},
                            {"metadata", std::move(meta)},
                            {"spec", std::move(spec)}});
}

namespace {

// One policy: pods of the cluster matched by `selector`, always open to (and able to reach)
// the cluster's own pods; the user's rules after that, each direction only where the mode
// restricts it.
json network_policy(const json& cluster, const std::string& name, json selector,
                    const std::string& mode, const json& user) {
  const std::string cluster_name = detail::cluster_name(cluster);
  const json own_pods = {{"podSelector", {{"matchLabels", {{label_cluster, cluster_name}}}}}};
  const bool ingress = mode != "DenyAllEgress", egress = mode != "DenyAllIngress";
  json spec = {{"podSelector", {{"matchLabels", std::move(selector)}}},
               {"policyTypes", json::array()}};
  auto rules = [&](const char* field, const char* peer) {
    json out = json::array({{{peer, json::array({own_pods})}}});
    if (member(user, field).is_array())
      for (const auto& r : member(user, field)) out.push_back(r);
    return out;
  };
  if (ingress) {
    spec["policyTypes"].push_back("Ingress");
    spec["ingress"] = rules("ingressRules", "from");
  }
  if (egress) {
    spec["policyTypes"].push_back("Egress");
    spec["egress"] = rules("egressRules", "to");
  }
  json labels = detail::child_labels(cluster, std::nullopt);
  return detail::with_hash({{"apiVersion", "networking.k8s.io/v1"},
                            {"kind", "NetworkPolicy"},
                            {"metadata", detail::child_metadata(cluster, name, std::move(labels))},
                            {"spec", std::move(spec)}});
}

}  // namespace

std::vector<json> desired_network_policies(const json& cluster) {
  std::vector<json> out;
  const json& spec = member(cluster, "spec");
  const json& np = member(spec, "networkPolicy");
  if (!np.is_object()) return out;
  std::string mode = text(member(np, "mode"));
  if (mode.empty()) mode = "DenyAll";
  const std::string name = detail::cluster_name(cluster);
  out.push_back(network_policy(cluster, name + "-head",
                               {{label_cluster, name}, {label_node_type, node_type_head}}, mode,
                               member(np, "head")));
  const json& groups = member(spec, "workerGroupSpecs");
  if (!groups.is_array()) return out;
  for (const auto& g : groups) {
    const std::string group = text(member(g, "groupName"));
    // A group's own entry replaces the worker rules, not adds to them.
    json rules = member(np, "worker");
    if (member(np, "workerGroups").is_array())
      for (const auto& entry : member(np, "workerGroups"))
        if (text(member(entry, "groupName")) == group) rules = entry;
    out.push_back(network_policy(
        cluster, name + "-workers-" + group,
        {{label_cluster, name}, {label_node_type, node_type_worker}, {label_group, group}}, mode,
        rules));
  }
  return out;
}

}  // namespace ray
