#include "k8s/resource.hpp"

#include <cctype>
#include <cstdio>

namespace k8s {

std::string resource::api_version() const {
  return group.empty() ? version : group + "/" + version;
}

std::string resource::collection_path(const std::string& ns) const {
  std::string path = group.empty() ? "/api/" + version : "/apis/" + group + "/" + version;
  if (namespaced && !ns.empty()) path += "/namespaces/" + ns;
  return path + "/" + plural;
}

std::string resource::object_path(const std::string& ns, const std::string& name,
                                  const std::string& subresource) const {
  std::string path = collection_path(ns) + "/" + name;
  if (!subresource.empty()) path += "/" + subresource;
  return path;
}

namespace resources {
const resource namespaces{"", "v1", "namespaces", "Namespace", false};
const resource nodes{"", "v1", "nodes", "Node", false};
const resource pods{"", "v1", "pods", "Pod", true};
const resource services{"", "v1", "services", "Service", true};
const resource endpoints{"", "v1", "endpoints", "Endpoints", true};
const resource configmaps{"", "v1", "configmaps", "ConfigMap", true};
const resource secrets{"", "v1", "secrets", "Secret", true};
const resource persistentvolumeclaims{"", "v1", "persistentvolumeclaims", "PersistentVolumeClaim",
                                      true};
const resource serviceaccounts{"", "v1", "serviceaccounts", "ServiceAccount", true};
const resource events{"", "v1", "events", "Event", true};
const resource statefulsets{"apps", "v1", "statefulsets", "StatefulSet", true};
const resource deployments{"apps", "v1", "deployments", "Deployment", true};
const resource replicasets{"apps", "v1", "replicasets", "ReplicaSet", true};
const resource roles{"rbac.authorization.k8s.io", "v1", "roles", "Role", true};
const resource rolebindings{"rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", true};
const resource ingresses{"networking.k8s.io", "v1", "ingresses", "Ingress", true};
const resource networkpolicies{"networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", true};
const resource horizontalpodautoscalers_v2{"autoscaling", "v2", "horizontalpodautoscalers",
                                           "HorizontalPodAutoscaler", true};
const resource horizontalpodautoscalers_v2beta2{
    "autoscaling", "v2beta2", "horizontalpodautoscalers", "HorizontalPodAutoscaler", true};
const resource leases{"coordination.k8s.io", "v1", "leases", "Lease", true};
const resource customresourcedefinitions{"apiextensions.k8s.io", "v1", "customresourcedefinitions",
                                         "CustomResourceDefinition", false};
}  // namespace resources

std::string url_encode(const std::string& value) {
  std::string out;
  out.reserve(value.size());
  for (unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '/') {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

}  // namespace k8s
