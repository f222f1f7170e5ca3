#include "ray/children.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <optional>
#include <string>

#include "k8s/object_meta.hpp"
#include "ray/constants.hpp"
#include "ray/pod_parts.hpp"

namespace ray {

using detail::member;
using detail::text;
using nlohmann::json;

namespace detail {

json controller_owner_references(const json& cluster) {
  k8s::owner_reference ref = k8s::make_controller_reference(cluster);
  // The stored version, whichever version the RayCluster was read at: an ownerReference to
  // v1alpha1 would stop resolving if that version is ever no longer served.
  ref.api_version = std::string(api_group) + "/" + storage_version;
  ref.kind = kind;
  return json::array({ref.to_json()});
}

}  // namespace detail

namespace {

using detail::with_hash;

json metadata(const json& cluster, const std::string& name, json labels) {
  return detail::child_metadata(cluster, name, std::move(labels));
}

json head_selector(const std::string& cluster) {
  return {{label_cluster, cluster}, {label_node_type, node_type_head}};
}

// Whatever the head listens on is reachable through the one stable Service name; a port the
// user's headService already declares (same name or number) is theirs and not duplicated.
json head_service_ports(const json& head_template, const json& user_ports) {
  json ports = user_ports.is_array() ? user_ports : json::array();
  auto taken = [&ports](const std::string& name, const json& number) {
    return std::any_of(ports.begin(), ports.end(), [&](const json& p) {
      return text(member(p, "name")) == name || member(p, "port") == number;
    });
  };
  const json& containers = member(member(head_template, "spec"), "containers");
  static const json no_container;
  const bool has_ray = containers.is_array() && !containers.empty();
  const json& ray_container = has_ray ? containers[ray_container_index] : no_container;
  const json& container_ports = member(ray_container, "ports");
  if (container_ports.is_array()) {
    for (const auto& cp : container_ports) {
      const json& number = member(cp, "containerPort");
      if (!number.is_number_integer()) continue;
      std::string name = text(member(cp, "name"));
      if (name.empty()) name = std::to_string(number.get<int64_t>()) + "-port";
      if (taken(name, number)) continue;
      ports.push_back({{"name", name}, {"port", number}, {"appProtocol", "tcp"}});
    }
  }
  std::stable_sort(ports.begin(), ports.end(), [](const json& a, const json& b) {
    return text(member(a, "name")) < text(member(b, "name"));
  });
  return ports;
}

// The user-spec hashes a pod records, when known.
void annotate_hashes(json& pod_meta, const std::string& group_hash, const std::string& cluster) {
  if (group_hash.empty()) return;
  json& annotations = pod_meta["annotations"];
  if (!annotations.is_object()) annotations = json::object();
  annotations[annotation_group_spec_hash] = group_hash;
  annotations[annotation_cluster_spec_hash] = cluster;
}

json merged(const json& base, const json& winner) {
  json out = base.is_object() ? base : json::object();
  if (winner.is_object()) {
    for (const auto& [key, value] : winner.items()) out[key] = value;
  }
  return out;
}

}  // namespace

json desired_head_statefulset(const json& cluster, const spec_hashes& hashes) {
  const std::string name = detail::cluster_name(cluster);
  const json& spec = member(cluster, "spec");
  const json& suspend = member(spec, "suspend");
  const bool suspended = suspend.is_boolean() && suspend.get<bool>();
  json sts = {
      {"apiVersion", "apps/v1"},
      {"kind", "StatefulSet"},
      {"metadata", metadata(cluster, head_statefulset_name(name),
                            detail::child_labels(cluster, std::string(node_type_head)))},
      {"spec",
       {{"replicas", suspended ? 0 : 1},
        // Immutable, so the default name even when headService names the Service otherwise
        // (the Service is not headless: no pod DNS records hang on it either way).
        {"serviceName", head_service_name(name)},
        {"selector", {{"matchLabels", head_selector(name)}}},
        // The head is a single pod; Parallel lets a replacement start without waiting on
        // ordinal bookkeeping.
        {"podManagementPolicy", "Parallel"},
        {"updateStrategy", {{"type", "OnDelete"}}},
        {"template", desired_head_pod_template(cluster)}}},
  };
  annotate_hashes(sts["spec"]["template"]["metadata"], hashes.head, hashes.cluster);
  const json& claims = member(member(spec, "headGroupSpec"), "volumeClaimTemplates");
  if (claims.is_array() && !claims.empty()) sts["spec"]["volumeClaimTemplates"] = claims;
  return with_hash(std::move(sts));
}

json desired_head_service(const json& cluster) {
  const std::string name = detail::cluster_name(cluster);
  const json& spec = member(cluster, "spec");
  const json& head = member(spec, "headGroupSpec");
  const json& user = member(head, "headService");
  const json tmpl = desired_head_pod_template(cluster);

  json labels = detail::child_labels(cluster, std::string(node_type_head));
  // The head pods' own app name, so selectors written against the pods also match here.
  labels[label_app_name] = member(member(member(tmpl, "metadata"), "labels"), label_app_name);
  json meta = metadata(cluster, detail::head_service(cluster),
                       merged(member(member(user, "metadata"), "labels"), labels));
  json annotations = merged(member(member(user, "metadata"), "annotations"),
                            member(spec, "headServiceAnnotations"));
  if (!annotations.empty()) meta["annotations"] = std::move(annotations);

  json svc_spec = member(user, "spec").is_object() ? member(user, "spec") : json::object();
  svc_spec["selector"] = head_selector(name);
  if (text(member(svc_spec, "type")).empty()) {
    const std::string type = text(member(head, "serviceType"));
    svc_spec["type"] = type.empty() ? "ClusterIP" : type;
  }
  svc_spec["ports"] = head_service_ports(tmpl, member(svc_spec, "ports"));
  return with_hash(
      {{"apiVersion", "v1"}, {"kind", "Service"}, {"metadata", meta}, {"spec", svc_spec}});
}

json desired_workers_service(const json& cluster) {
  const std::string name = detail::cluster_name(cluster);
  json svc = {
      {"apiVersion", "v1"},
      {"kind", "Service"},
      {"metadata", metadata(cluster, workers_service_name(name),
                            detail::child_labels(cluster, std::string(node_type_worker)))},
      {"spec",
       {{"type", "ClusterIP"},
        {"clusterIP", "None"},
        // Peers must resolve each other while Ray is still starting.
        {"publishNotReadyAddresses", true},
        {"selector", {{label_cluster, name}, {label_node_type, node_type_worker}}}}},
  };
  return with_hash(std::move(svc));
}

json desired_worker_pod(const json& cluster, size_t group_index, const spec_hashes& hashes) {
  json tmpl = desired_worker_pod_template(cluster, group_index);
  if (tmpl.is_null()) return nullptr;
  const json& group = member(member(cluster, "spec"), "workerGroupSpecs")[group_index];
  json meta = tmpl["metadata"];
  if (auto h = hashes.groups.find(text(member(group, "groupName"))); h != hashes.groups.end())
    annotate_hashes(meta, h->second, hashes.cluster);
  meta["generateName"] =
      worker_generate_name(detail::cluster_name(cluster), text(member(group, "groupName")));
  meta["namespace"] = detail::cluster_namespace(cluster);
  meta["ownerReferences"] = detail::controller_owner_references(cluster);
  return with_hash(
      {{"apiVersion", "v1"}, {"kind", "Pod"}, {"metadata", meta}, {"spec", tmpl["spec"]}});
}

json desired_autoscaler_service_account(const json& cluster) {
  const json& head_spec =
      member(member(member(member(cluster, "spec"), "headGroupSpec"), "template"), "spec");
  // A named account is the user's to create: it must outlive this cluster's ownership.
  if (!text(member(head_spec, "serviceAccountName")).empty()) return nullptr;
  const std::string name = autoscaler_rbac_name(detail::cluster_name(cluster));
  return with_hash({{"apiVersion", "v1"},
                    {"kind", "ServiceAccount"},
                    {"metadata", metadata(cluster, name, detail::child_labels(cluster, {}))}});
}

json desired_autoscaler_role(const json& cluster) {
  const std::string name = autoscaler_rbac_name(detail::cluster_name(cluster));
  // pods patch: older Rays annotate the head pod; pods/resize: in-place resizing in newer ones.
  json rules = json::array({
      {{"apiGroups", {""}}, {"resources", {"pods"}}, {"verbs", {"get", "list", "watch", "patch"}}},
      {{"apiGroups", {""}}, {"resources", {"pods/resize"}}, {"verbs", {"patch"}}},
      {{"apiGroups", {api_group}}, {"resources", {"rayclusters"}}, {"verbs", {"get", "patch"}}},
  });
  return with_hash({{"apiVersion", "rbac.authorization.k8s.io/v1"},
                    {"kind", "Role"},
                    {"metadata", metadata(cluster, name, detail::child_labels(cluster, {}))},
                    {"rules", std::move(rules)}});
}

json desired_autoscaler_role_binding(const json& cluster) {
  const std::string name = autoscaler_rbac_name(detail::cluster_name(cluster));
  const json& head_spec =
      member(member(member(member(cluster, "spec"), "headGroupSpec"), "template"), "spec");
  std::string account = text(member(head_spec, "serviceAccountName"));
  if (account.empty()) account = name;
  return with_hash(
      {{"apiVersion", "rbac.authorization.k8s.io/v1"},
       {"kind", "RoleBinding"},
       {"metadata", metadata(cluster, name, detail::child_labels(cluster, {}))},
       {"roleRef", {{"apiGroup", "rbac.authorization.k8s.io"}, {"kind", "Role"}, {"name", name}}},
       {"subjects", json::array({{{"kind", "ServiceAccount"},
                                  {"name", account},
                                  {"namespace", detail::cluster_namespace(cluster)}}})}});
}

std::string desired_spec_hash(const json& object) {
  json copy = object;
  if (copy.is_object()) {
    auto meta = copy.find("metadata");
    if (meta != copy.end() && meta->is_object()) {
      auto annotations = meta->find("annotations");
      if (annotations != meta->end() && annotations->is_object()) {
        annotations->erase(annotation_spec_hash);
        // Absent and empty annotations describe the same object.
        if (annotations->empty()) meta->erase(annotations);
      }
    }
  }
  // Keys are sorted by nlohmann's object type, so equal objects dump to equal text. Bad UTF-8
  // in user data is replaced rather than thrown on.
  const std::string canonical = copy.dump(-1, ' ', false, json::error_handler_t::replace);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(canonical.data(), canonical.size(), digest, &length, EVP_sha256(), nullptr) != 1) {
    return "";
  }
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length && out.size() < 16; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 0xf];
  }
  return out;
}

}  // namespace ray
