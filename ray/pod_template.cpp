// The head and worker pod templates: the group's template with what Ray needs added, never a
// user field dropped. Where the user already set something (env, probes, a /dev/shm mount, a
// command that runs `ray start`), theirs is kept.

#include <string>

#include "ray/children.hpp"
#include "ray/constants.hpp"
#include "ray/pod_parts.hpp"
#include "ray/ray_start.hpp"

namespace ray {

using detail::member;
using detail::text;
using nlohmann::json;

namespace {

constexpr const char* overwrite_cmd_annotation = "ray.io/overwrite-container-cmd";

json pod_labels(const json& cluster, const json& template_labels, const json& ray_labels,
                const std::string& node_type, const std::string& group) {
  json labels = template_labels.is_object() ? template_labels : json::object();
  // The group's Ray node labels are pod labels too, so schedulers and selectors see them.
  if (ray_labels.is_object())
    for (const auto& [key, value] : ray_labels.items()) labels[key] = value;
  if (!member(labels, label_app_name).is_string()) labels[label_app_name] = app_name;
  // The autoscaler finds nodes and their groups through these, so a template cannot move a
  // pod to another cluster or group.
  const std::string cluster_name = detail::cluster_name(cluster);
  labels[label_cluster] = cluster_name;
  labels[label_node_type] = node_type;
  labels[label_group] = group;
  labels[label_identifier] = cluster_name + "-" + node_type;
  labels[label_is_ray_node] = "yes";
  labels[label_created_by] = created_by;
  return labels;
}

std::string joined_command(const json& container) {
  std::string out;
  for (const char* key : {"command", "args"}) {
    const json& list = member(container, key);
    if (!list.is_array()) continue;
    for (const auto& part : list) {
      if (!out.empty()) out += " ";
      out += text(part);
    }
  }
  return out;
}

void set_ray_command(json& container, const json& cluster, const std::string& start_cmd) {
  const json& annotations = member(member(cluster, "metadata"), "annotations");
  if (text(member(annotations, overwrite_cmd_annotation)) == "true") return;
  const std::string user = joined_command(container);
  if (user.find("ray start") != std::string::npos) return;
  container["command"] = {"/bin/bash", "-c", "--"};
  // The user's part runs first: `ray start --block` never returns.
  container["args"] = {user.empty() ? start_cmd : user + " && " + start_cmd};
}

int port_number(const std::string& t, int fallback) {
  if (t.empty() || t.size() > 5 || t.find_first_not_of("0123456789") != std::string::npos) {
    return fallback;
  }
  return std::stoi(t);
}

int port_param(const json& params, const char* key, int fallback) {
  return port_number(text(member(params, key)), fallback);
}

// Ports follow the params Ray is started with, so a changed `port` or `dashboard-port` is
// still what the head Service exposes.
void add_ports(json& container, const json& cluster, const json& params, bool head) {
  json& ports = container["ports"];
  if (!ports.is_array()) ports = json::array();
  const int metrics = port_param(params, "metrics-export-port", port_metrics);
  if (head && ports.empty()) {
    const int gcs = port_number(detail::head_port(cluster), port_gcs);
    ports = json::array({
        {{"name", "gcs-server"}, {"containerPort", gcs}},
        {{"name", "dashboard"},
         {"containerPort", port_param(params, "dashboard-port", port_dashboard)}},
        {{"name", "client"},
         {"containerPort", port_param(params, "ray-client-server-port", port_client)}},
        {{"name", "metrics"}, {"containerPort", metrics}},
        {{"name", "serve"}, {"containerPort", port_serve}},
    });
  }
  for (const auto& p : ports) {
    if (text(member(p, "name")) == "metrics") return;
  }
  ports.push_back({{"name", "metrics"}, {"containerPort", metrics}});
}

// The template shared by head and workers; group_name is "headgroup" for the head.
json build_template(const json& cluster, const json& group, bool head,
                    const std::string& group_name) {
  json tmpl = member(group, "template").is_object() ? member(group, "template") : json::object();
  json& meta = tmpl["metadata"];
  if (!meta.is_object()) meta = json::object();
  // Pods live in the cluster's namespace and are named by their owner.
  for (const char* key : {"name", "generateName", "namespace"}) meta.erase(key);
  meta["labels"] = pod_labels(cluster, member(meta, "labels"), member(group, "labels"),
                              head ? node_type_head : node_type_worker, group_name);
  if (!meta["annotations"].is_object()) meta["annotations"] = json::object();
  if (head)
    meta["annotations"][annotation_ft_enabled] = detail::gcs_ft_enabled(cluster) ? "true" : "false";

  json& spec = tmpl["spec"];
  if (!spec.is_object()) spec = json::object();
  json& containers = spec["containers"];
  if (!containers.is_array() || containers.empty() || !containers[0].is_object()) {
    containers = json::array({{{"name", head ? head_container : worker_container}}});
  }

  const json params = completed_ray_start_params(cluster, group, head);
  const std::string start_cmd = ray_start_command(params, head);
  json& ray = containers[ray_container_index];
  set_ray_command(ray, cluster, start_cmd);
  detail::add_ray_env(ray, cluster, head, start_cmd);
  detail::add_gcs_ft(meta, spec, ray, cluster, head);
  add_ports(ray, cluster, params, head);
  detail::add_shared_memory(spec, ray, params);
  detail::add_probes(ray, cluster, params, head);

  // Init containers may need to reach the head before Ray starts.
  if (json& inits = spec["initContainers"]; inits.is_array()) {
    for (auto& init : inits) {
      if (!init.is_object()) continue;
      detail::add_env(init, "FQ_RAY_IP", detail::head_fqdn(cluster));
      detail::add_env(init, "RAY_IP", detail::head_service(cluster));
    }
  } else {
    spec.erase("initContainers");
  }
  return tmpl;
}

bool has_container(const json& list, const std::string& name) {
  if (!list.is_array()) return false;
  for (const auto& c : list) {
    if (text(member(c, "name")) == name) return true;
  }
  return false;
}

const json& ray_container_of(const json& group) {
  const json& containers = member(member(member(group, "template"), "spec"), "containers");
  static const json none = json::object();
  return containers.is_array() && !containers.empty() ? containers[0] : none;
}

std::string autoscaler_version(const json& cluster) {
  return text(member(member(member(cluster, "spec"), "autoscalerOptions"), "version"));
}

void add_autoscaler(json& tmpl, const json& cluster, const json& head) {
  json& spec = tmpl["spec"];
  const std::string own_account =
      text(member(member(member(head, "template"), "spec"), "serviceAccountName"));
  spec["serviceAccountName"] =
      own_account.empty() ? autoscaler_rbac_name(detail::cluster_name(cluster)) : own_account;

  json& ray = spec["containers"][ray_container_index];
  // Ray reads the choice from the head's env; unset lets Ray pick its own default.
  const std::string version = autoscaler_version(cluster);
  if (version == "v2") detail::add_env(ray, "RAY_enable_autoscaler_v2", "true");
  if (version == "v1") detail::add_env(ray, "RAY_enable_autoscaler_v2", "false");

  // The autoscaler writes its event logs under the head's /tmp/ray, where Ray reads them.
  const json logs = json::object();
  detail::add_empty_dir(spec, ray, "ray-logs", "/tmp/ray", logs);
  if (has_container(spec["containers"], autoscaler_container)) return;
  json sidecar = detail::autoscaler_sidecar(cluster, ray_container_of(head));
  detail::add_empty_dir(spec, sidecar, "ray-logs", "/tmp/ray", logs);
  spec["containers"].push_back(std::move(sidecar));
}

}  // namespace

json desired_head_pod_template(const json& cluster) {
  const json& head = member(member(cluster, "spec"), "headGroupSpec");
  json tmpl = build_template(cluster, head, true, head_group_name);
  // A StatefulSet accepts only Always. A restarted Ray head container rejoins with the same
  // identity, so this is also what the head wants (autoscaler v2's Never is meant for bare
  // pods that the operator replaces).
  tmpl["spec"]["restartPolicy"] = "Always";
  if (detail::autoscaling_enabled(cluster)) add_autoscaler(tmpl, cluster, head);
  add_history_collector(tmpl, cluster, true);
  add_tls(tmpl, cluster, true);
  add_token_auth(tmpl, cluster);
  return tmpl;
}

json desired_worker_pod_template(const json& cluster, size_t group_index) {
  const json& groups = member(member(cluster, "spec"), "workerGroupSpecs");
  if (!groups.is_array() || group_index >= groups.size()) return nullptr;
  const json& group = groups[group_index];
  json tmpl = build_template(cluster, group, false, text(member(group, "groupName")));
  json& spec = tmpl["spec"];

  // A restarted worker container comes back as a new Ray node that the autoscaler does not
  // know, so by default a failed worker pod is replaced instead (autoscaler v2 requires it).
  const bool v2 = detail::autoscaling_enabled(cluster) && autoscaler_version(cluster) == "v2";
  if (v2 || text(member(spec, "restartPolicy")).empty()) spec["restartPolicy"] = "Never";

  json& inits = spec["initContainers"];
  if (!inits.is_array()) inits = json::array();
  if (!has_container(inits, "wait-gcs-ready")) {
    inits.push_back(detail::wait_gcs_ready_container(ray_container_of(group), cluster));
  }
  add_history_collector(tmpl, cluster, false);
  add_tls(tmpl, cluster, false);
  add_token_auth(tmpl, cluster);
  return tmpl;
}

}  // namespace ray
