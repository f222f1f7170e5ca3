#pragma once
// Names, labels, annotations and ports that Ray's tools and KubeRay users rely on. Changing
// any of these breaks the Ray autoscaler or users' selectors, so they live in one place.

#include <string>

namespace ray {

// The API this operator serves.
constexpr const char* api_group = "ray.io";
constexpr const char* storage_version = "v1";  // v1alpha1 is served too, same schema
constexpr const char* kind = "RayCluster";

// Labels on every child (KubeRay's, so the autoscaler and dashboards keep working).
constexpr const char* label_cluster = "ray.io/cluster";
constexpr const char* label_node_type = "ray.io/node-type";    // head | worker
constexpr const char* label_group = "ray.io/group";            // headgroup | <groupName>
constexpr const char* label_identifier = "ray.io/identifier";  // <cluster>-head | <cluster>-worker
constexpr const char* label_is_ray_node = "ray.io/is-ray-node";           // "yes"
constexpr const char* label_app_name = "app.kubernetes.io/name";          // "kuberay"
constexpr const char* label_created_by = "app.kubernetes.io/created-by";  // "ray-operator"
constexpr const char* app_name = "kuberay";
constexpr const char* created_by = "ray-operator";
constexpr const char* head_group_name = "headgroup";
constexpr const char* node_type_head = "head";
constexpr const char* node_type_worker = "worker";

// Annotation on every owned child: a hash of the desired spec it was built from, so a
// reconcile can tell "unchanged" without comparing against server-defaulted fields.
constexpr const char* annotation_spec_hash = "ray.io/desired-spec-hash";
// On the head pod, "true" or "false" as in KubeRay. The head pod so always has annotations,
// which the Ray 2.2-2.6 autoscaler needs: its JSON patch `replace`s one of them each
// iteration, and a replace under a missing annotations map is refused (422).
constexpr const char* annotation_ft_enabled = "ray.io/ft-enabled";

// Container names and the Ray container's position.
constexpr const char* head_container = "ray-head";
constexpr const char* worker_container = "ray-worker";
constexpr const char* autoscaler_container = "autoscaler";
constexpr const char* collector_container = "collector";  // the History Server's sidecar
constexpr int ray_container_index = 0;

// Ports (name, number), in KubeRay's order of defaults.
constexpr int port_gcs = 6379;
constexpr int port_dashboard = 8265;
constexpr int port_client = 10001;
constexpr int port_metrics = 8080;
constexpr int port_serve = 8000;
constexpr int port_dashboard_agent = 52365;

// Derived object names for cluster C. Every derived name must stay a valid DNS-1123 label
// (≤ 63 characters), which is why the cluster name is limited (see validation).
std::string head_statefulset_name(const std::string& cluster);  // C-head
std::string head_pod_name(const std::string& cluster);          // C-head-0
std::string head_service_name(const std::string& cluster);      // C-head-svc
std::string workers_service_name(const std::string& cluster);   // C-workers
std::string worker_generate_name(const std::string& cluster,
                                 const std::string& group);    // C-G-worker-
std::string autoscaler_rbac_name(const std::string& cluster);  // C

}  // namespace ray
