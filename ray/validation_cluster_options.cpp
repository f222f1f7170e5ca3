// Validation of the cluster-wide options KubeRay added after GCS fault tolerance, as its rules
// have them (ctrl/utils/validation.go): networkPolicy, the head's ingressOptions, a worker
// group's priority, authOptions, historyServerOptions and tlsOptions.

#include <set>
#include <string>

#include "ray/pod_parts.hpp"
#include "ray/validation_support.hpp"

namespace ray::validation_detail {

namespace {

using detail::member;
using detail::text;
using nlohmann::json;

// `check` on the head group and on every worker group, with each one's field path.
template <class F>
void for_each_group(const json& spec, F check) {
  check(member(spec, "headGroupSpec"), std::string("spec.headGroupSpec"));
  const json& groups = member(spec, "workerGroupSpecs");
  if (groups.is_array())
    for (size_t i = 0; i < groups.size(); ++i)
      check(groups[i], index_path("spec.workerGroupSpecs", i));
}

// Rules for a direction the mode leaves open would say nothing: refused, as KubeRay does.
void check_rules(checker& c, const json& rules, const std::string& path, const std::string& mode) {
  c.array(rules, "ingressRules", path);
  c.array(rules, "egressRules", path);
  if (mode == "DenyAllEgress" && member(rules, "ingressRules").is_array() &&
      !member(rules, "ingressRules").empty())
    c.add(path + ".ingressRules", "has rules, but mode DenyAllEgress does not restrict ingress");
  if (mode == "DenyAllIngress" && member(rules, "egressRules").is_array() &&
      !member(rules, "egressRules").empty())
    c.add(path + ".egressRules", "has rules, but mode DenyAllIngress does not restrict egress");
}

void check_network_policy(checker& c, const json& spec) {
  const json* np = c.object(spec, "networkPolicy", "spec");
  if (!np) return;
  const std::string path = "spec.networkPolicy";
  c.one_of(*np, "mode", path, {"DenyAll", "DenyAllIngress", "DenyAllEgress"});
  std::string mode = text(member(*np, "mode"));
  if (mode.empty()) mode = "DenyAll";
  for (const char* side : {"head", "worker"})
    if (const json* rules = c.object(*np, side, path))
      check_rules(c, *rules, path + "." + side, mode);
  std::set<std::string> groups;
  if (member(spec, "workerGroupSpecs").is_array())
    for (const auto& g : member(spec, "workerGroupSpecs"))
      groups.insert(text(member(g, "groupName")));
  if (const json* entries = c.array(*np, "workerGroups", path))
    for (size_t i = 0; i < entries->size(); ++i) {
      const std::string entry_path = index_path(path + ".workerGroups", i);
      const json& entry = (*entries)[i];
      check_rules(c, entry, entry_path, mode);
      const std::string group = text(member(entry, "groupName"));
      if (!groups.count(group))
        c.add(entry_path + ".groupName",
              "names " + quoted(member(entry, "groupName")) + ", which is no worker group");
    }
}

void check_ingress(checker& c, const json& spec) {
  const json& head = member(spec, "headGroupSpec");
  const json* options = c.object(head, "ingressOptions", "spec.headGroupSpec");
  if (!options) return;
  const std::string path = "spec.headGroupSpec.ingressOptions";
  c.string(*options, "host", path);
  c.string(*options, "path", path);
  c.one_of(*options, "pathType", path, {"Exact", "Prefix", "ImplementationSpecific"});
  c.array(*options, "tls", path);
  const std::string p = text(member(*options, "path"));
  if (!p.empty() && p[0] != '/') c.add(path + ".path", "must start with /");
}

// Autoscaler v2 reads a group's priority; without it, a priority would silently do nothing.
void check_priorities(checker& c, const json& spec) {
  const json& groups = member(spec, "workerGroupSpecs");
  if (!groups.is_array()) return;
  bool v2 = text(member(member(spec, "autoscalerOptions"), "version")) == "v2";
  const json& containers =
      member(member(member(member(spec, "headGroupSpec"), "template"), "spec"), "containers");
  if (containers.is_array() && !containers.empty() && member(containers[0], "env").is_array())
    for (const auto& var : member(containers[0], "env"))
      if (text(member(var, "name")) == "RAY_enable_autoscaler_v2")
        v2 = text(member(var, "value")) == "1" || text(member(var, "value")) == "true";
  const std::string version = text(member(spec, "rayVersion"));
  for (size_t i = 0; i < groups.size(); ++i) {
    const std::string group_path = index_path("spec.workerGroupSpecs", i);
    auto priority = c.bounded_integer(groups[i], "priority", group_path, -max_int32 - 1);
    if (!priority || *priority == 0) continue;
    if (!detail::ray_version_at_least(version, 2, 56, 0))
      c.add(group_path + ".priority",
            "is set, which needs rayVersion 2.56.0 or newer (Ray's autoscaler v2 reads it); "
            "rayVersion is " +
                quoted(member(spec, "rayVersion")));
    else if (!v2)
      c.add(group_path + ".priority",
            "is set, but autoscaler v2 is not enabled (autoscalerOptions.version: v2), and only "
            "it reads priorities");
  }
}

// Ray's token authentication arrived in 2.52, reading the pod's own ServiceAccount token in 2.55.
void check_auth(checker& c, const json& spec) {
  const json* auth = c.object(spec, "authOptions", "spec");
  if (!auth) return;
  const std::string path = "spec.authOptions";
  c.one_of(*auth, "mode", path, {"disabled", "token"});
  c.string(*auth, "secretName", path);
  c.boolean(*auth, "enableK8sTokenAuth", path);
  const bool token = member(*auth, "mode") == "token";
  const bool k8s = member(*auth, "enableK8sTokenAuth") == true;
  const std::string version = text(member(spec, "rayVersion"));
  if (token && !detail::ray_version_at_least(version, 2, 52, 0))
    c.add(path + ".mode", "is token, which needs rayVersion 2.52.0 or newer; rayVersion is " +
                              quoted(member(spec, "rayVersion")));
  if (!k8s) return;
  if (!token) c.add(path + ".enableK8sTokenAuth", "needs mode token");
  if (!text(member(*auth, "secretName")).empty())
    c.add(path + ".secretName",
          "names a shared token, but enableK8sTokenAuth uses each pod's ServiceAccount token; "
          "set one or the other");
  if (token && !detail::ray_version_at_least(version, 2, 55, 0))
    c.add(path + ".enableK8sTokenAuth",
          "needs rayVersion 2.55.0 or newer; rayVersion is " + quoted(member(spec, "rayVersion")));
}

// The collector's env the operator sets, and its container's name, are the operator's.
void check_history_server(checker& c, const json& spec) {
  const json* hs = c.object(spec, "historyServerOptions", "spec");
  if (!hs) return;
  const std::string path = "spec.historyServerOptions";
  const json* options = c.object(*hs, "collectorOptions", path);
  if (!options) {
    c.add(path + ".collectorOptions", "must be set: it is the collector sidecar to add");
    return;
  }
  const std::string options_path = path + ".collectorOptions";
  if (text(member(*options, "image")).empty())
    c.add(options_path + ".image", "must name the collector's image");
  c.one_of(*options, "imagePullPolicy", options_path, {"Always", "IfNotPresent", "Never"});
  if (const json* env = c.array(*options, "env", options_path))
    for (const auto& var : *env)
      for (const char* reserved :
           {"POD_IP", "FQ_RAY_IP", "RAY_CLUSTER_NAME", "RAY_CLUSTER_NAMESPACE", "RAY_ROLE",
            "OWNER_KIND", "OWNER_NAME", "EVENTS_PORT"})
        if (member(var, "name") == reserved)
          c.add(options_path + ".env",
                std::string("must not set ") + reserved + ": the operator sets it");
  auto check_group = [&](const json& group, const std::string& group_path) {
    const json& containers = member(member(member(group, "template"), "spec"), "containers");
    if (containers.is_array())
      for (const auto& container : containers)
        if (member(container, "name") == "collector")
          c.add(group_path + ".template.spec.containers",
                "has a container named collector, the History Server sidecar's name");
  };
  for_each_group(spec, check_group);
}

// Ray's TLS env and the certificate's volume are the operator's once tlsOptions is on.
void check_tls(checker& c, const json& spec) {
  const json* tls = c.object(spec, "tlsOptions", "spec");
  if (!tls) return;
  c.boolean(*tls, "enabled", "spec.tlsOptions");
  if (member(*tls, "enabled") != true) return;
  static const char* const vars[] = {"RAY_USE_TLS", "RAY_TLS_SERVER_CERT", "RAY_TLS_SERVER_KEY",
                                     "RAY_TLS_CA_CERT"};
  auto check_env = [&](const json& env, const std::string& path) {
    if (!env.is_array()) return;
    for (const auto& var : env)
      for (const char* name : vars)
        if (member(var, "name") == name)
          c.add(path, std::string("must not set ") + name + ": tlsOptions sets it");
  };
  auto check_group = [&](const json& group, const std::string& group_path) {
    const json& containers = member(member(member(group, "template"), "spec"), "containers");
    if (!containers.is_array() || containers.empty()) return;
    const std::string path = group_path + ".template.spec.containers[0]";
    check_env(member(containers[0], "env"), path + ".env");
    if (member(containers[0], "volumeMounts").is_array())
      for (const auto& m : member(containers[0], "volumeMounts"))
        if (member(m, "name") == "ray-tls" || member(m, "mountPath") == "/etc/ray/tls")
          c.add(path + ".volumeMounts",
                "must not mount ray-tls or anything at /etc/ray/tls: the certificate goes there");
  };
  for_each_group(spec, check_group);
  check_env(member(member(spec, "autoscalerOptions"), "env"), "spec.autoscalerOptions.env");
}

}  // namespace

void check_cluster_options(checker& c, const json& raycluster) {
  const json& spec = member(raycluster, "spec");
  check_network_policy(c, spec);
  check_ingress(c, spec);
  check_priorities(c, spec);
  check_auth(c, spec);
  check_history_server(c, spec);
  check_tls(c, spec);
}

}  // namespace ray::validation_detail
