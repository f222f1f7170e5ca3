#include "ray/pod_parts.hpp"

#include <algorithm>
#include <cctype>
#include <exception>
#include <string>

#include "ray/children.hpp"
#include "ray/constants.hpp"

namespace ray::detail {

namespace {

const json null_json;

json& array_member(json& obj, const char* key) {
  json& value = obj[key];
  if (!value.is_array()) value = json::array();
  return value;
}

bool has_named(const json& list, const std::string& name) {
  if (!list.is_array()) return false;
  for (const auto& item : list) {
    if (text(member(item, "name")) == name) return true;
  }
  return false;
}

bool has_mount_at(const json& container, const std::string& path) {
  const json& mounts = member(container, "volumeMounts");
  if (!mounts.is_array()) return false;
  for (const auto& m : mounts) {
    if (text(member(m, "mountPath")) == path) return true;
  }
  return false;
}

int int_param(const json& params, const char* key, int fallback) {
  const std::string t = text(member(params, key));
  try {
    size_t used = 0;
    const int v = std::stoi(t, &used);
    return used == t.size() && v > 0 ? v : fallback;
  } catch (const std::exception&) {
    return fallback;
  }
}

json probe(int initial_delay, int timeout, int failure_threshold) {
  return {{"initialDelaySeconds", initial_delay},
          {"timeoutSeconds", timeout},
          {"periodSeconds", 5},
          {"successThreshold", 1},
          {"failureThreshold", failure_threshold}};
}

std::string wget_check(int timeout, int port, const std::string& path) {
  return "wget --tries 1 -T " + std::to_string(timeout) +
         " -q -O- http://localhost:" + std::to_string(port) + "/" + path + " | grep success";
}

}  // namespace

// "2.53.0", "2.53", "2.53.0rc1": compared by their leading numbers. Anything unparseable
// (such as "nightly") counts as old, which keeps the exec probes that every Ray supports.
bool ray_version_at_least(const std::string& version, int major, int minor, int patch) {
  int parts[3] = {0, 0, 0};
  size_t pos = 0;
  for (int i = 0; i < 3; ++i) {
    size_t end = pos;
    while (end < version.size() && std::isdigit(static_cast<unsigned char>(version[end]))) ++end;
    if (end == pos) {
      if (i < 2) return false;
      break;
    }
    parts[i] = std::stoi(version.substr(pos, std::min<size_t>(end - pos, 6)));
    if (end >= version.size() || version[end] != '.') break;
    pos = end + 1;
  }
  if (parts[0] != major) return parts[0] > major;
  if (parts[1] != minor) return parts[1] > minor;
  return parts[2] >= patch;
}

const json& member(const json& obj, const char* key) {
  if (!obj.is_object()) return null_json;
  auto it = obj.find(key);
  return it == obj.end() ? null_json : *it;
}

std::string text(const json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_boolean()) return value.get<bool>() ? "true" : "false";
  if (value.is_number()) return value.dump();
  return "";
}

bool flag(const json& obj, const char* key) {
  const json& v = member(obj, key);
  return v.is_boolean() && v.get<bool>();
}

int64_t int_or(const json& obj, const char* key, int64_t fallback) {
  const json& v = member(obj, key);
  if (v.is_number_unsigned())
    return static_cast<int64_t>(std::min<uint64_t>(v.get<uint64_t>(), INT64_MAX));
  if (v.is_number_integer()) return v.get<int64_t>();
  return fallback;
}

std::string cluster_name(const json& cluster) {
  return text(member(member(cluster, "metadata"), "name"));
}

std::string cluster_namespace(const json& cluster) {
  return text(member(member(cluster, "metadata"), "namespace"));
}

bool autoscaling_enabled(const json& cluster) {
  return flag(member(cluster, "spec"), "enableInTreeAutoscaling");
}

bool gcs_ft_enabled(const json& cluster) {
  if (member(member(cluster, "spec"), "gcsFaultToleranceOptions").is_object()) return true;
  const json& annotations = member(member(cluster, "metadata"), "annotations");
  std::string value = text(member(annotations, annotation_ft_enabled));
  for (auto& c : value) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return value == "true";  // KubeRay compares without case
}

std::string head_port(const json& cluster) {
  const json& head = member(member(cluster, "spec"), "headGroupSpec");
  const std::string port = text(member(member(head, "rayStartParams"), "port"));
  return port.empty() ? std::to_string(port_gcs) : port;
}

std::string head_service(const json& cluster) {
  const json& head = member(member(cluster, "spec"), "headGroupSpec");
  const std::string custom = text(member(member(member(head, "headService"), "metadata"), "name"));
  return custom.empty() ? head_service_name(cluster_name(cluster)) : custom;
}

std::string head_fqdn(const json& cluster) {
  return head_service(cluster) + "." + cluster_namespace(cluster) + ".svc.cluster.local";
}

void add_env(json& container, const std::string& name, const std::string& value) {
  json& env = array_member(container, "env");
  if (!has_named(env, name)) env.push_back({{"name", name}, {"value", value}});
}

void add_field_env(json& container, const std::string& name, const std::string& field_path) {
  json& env = array_member(container, "env");
  if (has_named(env, name)) return;
  env.push_back({{"name", name}, {"valueFrom", {{"fieldRef", {{"fieldPath", field_path}}}}}});
}

void add_volume(json& pod_spec, json volume) {
  json& volumes = array_member(pod_spec, "volumes");
  if (!has_named(volumes, text(member(volume, "name")))) volumes.push_back(std::move(volume));
}

void add_mount(json& container, json mount) {
  json& mounts = array_member(container, "volumeMounts");
  if (!has_named(mounts, text(member(mount, "name")))) mounts.push_back(std::move(mount));
}

void add_empty_dir(json& pod_spec, json& container, const std::string& volume,
                   const std::string& path, const json& empty_dir) {
  if (has_mount_at(container, path)) return;
  json& volumes = array_member(pod_spec, "volumes");
  if (!has_named(volumes, volume)) volumes.push_back({{"name", volume}, {"emptyDir", empty_dir}});
  array_member(container, "volumeMounts").push_back({{"name", volume}, {"mountPath", path}});
}

void add_ray_env(json& container, const json& cluster, bool head, const std::string& start_cmd) {
  add_field_env(container, "RAY_CLUSTER_NAME",
                std::string("metadata.labels['") + label_cluster + "']");
  add_field_env(container, "RAY_CLUSTER_NAMESPACE", "metadata.namespace");
  // Autoscaler v2 maps Ray nodes to pods through these two.
  add_field_env(container, "RAY_CLOUD_INSTANCE_ID", "metadata.name");
  add_field_env(container, "RAY_NODE_TYPE_NAME",
                std::string("metadata.labels['") + label_group + "']");
  const std::string prefix = ulimit_prefix;
  add_env(container, "KUBERAY_GEN_RAY_START_CMD",
          start_cmd.rfind(prefix, 0) == 0 ? start_cmd.substr(prefix.size()) : start_cmd);
  const std::string port = head_port(cluster);
  add_env(container, "RAY_PORT", port);
  add_env(container, "RAY_ADDRESS",
          (head ? std::string("127.0.0.1") : head_fqdn(cluster)) + ":" + port);
  add_env(container, "RAY_USAGE_STATS_KUBERAY_IN_USE", "1");
  add_env(container, "RAY_DASHBOARD_ENABLE_K8S_DISK_USAGE", "1");
  if (!head) {
    add_env(container, "FQ_RAY_IP", head_fqdn(cluster));
    add_env(container, "RAY_IP", head_service(cluster));
  }
}

void add_shared_memory(json& pod_spec, json& container, const json& params) {
  // Ray then keeps its object store elsewhere, and a memory-backed /dev/shm would only
  // take memory from the pod.
  if (member(params, "plasma-directory").is_string()) return;
  const json& resources = member(container, "resources");
  std::string size = text(member(member(resources, "limits"), "memory"));
  if (size.empty()) size = text(member(member(resources, "requests"), "memory"));
  json empty_dir = {{"medium", "Memory"}};
  if (!size.empty()) empty_dir["sizeLimit"] = size;
  add_empty_dir(pod_spec, container, "shared-mem", "/dev/shm", empty_dir);
}

void add_probes(json& container, const json& cluster, const json& params, bool head) {
  const int agent_port = int_param(params, "dashboard-agent-listen-port", port_dashboard_agent);
  const int timeout = head ? 5 : 2;
  json handler;
  // Ray 2.53 serves one health endpoint on the agent; older Rays need the two wget checks.
  if (ray_version_at_least(text(member(member(cluster, "spec"), "rayVersion")), 2, 53, 0)) {
    handler = {{"httpGet", {{"path", "/api/healthz"}, {"port", agent_port}}}};
  } else {
    std::string check = wget_check(2, agent_port, "api/local_raylet_healthz");
    if (head) {
      const int dashboard = int_param(params, "dashboard-port", port_dashboard);
      check += " && " + wget_check(10, dashboard, "api/gcs_healthz");
    }
    handler = {{"exec", {{"command", {"bash", "-c", check}}}}};
  }
  if (member(container, "livenessProbe").is_null()) {
    container["livenessProbe"] = probe(30, timeout, 120);
    container["livenessProbe"].update(handler);
  }
  if (member(container, "readinessProbe").is_null()) {
    container["readinessProbe"] = probe(10, timeout, 10);
    container["readinessProbe"].update(handler);
  }
}

json wait_gcs_ready_container(const json& user_ray_container, const json& cluster) {
  const std::string address = head_fqdn(cluster) + ":" + head_port(cluster);
  // Quiet for the first two minutes (the head is usually just starting), then loud.
  const std::string script = "GCS_ADDRESS=" + address + "\n" + R"(SECONDS=0
while true; do
  if (( SECONDS <= 120 )); then
    if ray health-check --address "$GCS_ADDRESS" > /dev/null 2>&1; then
      echo "GCS is ready."
      break
    fi
    echo "$SECONDS seconds elapsed: Waiting for GCS to be ready."
  else
    if ray health-check --address "$GCS_ADDRESS"; then
      echo "GCS is ready. Any error messages above can be safely ignored."
      break
    fi
    echo "$SECONDS seconds elapsed: Still waiting for GCS at $GCS_ADDRESS to be ready."
  fi
  sleep 5
done
)";
  // Fixed small resources: copying the Ray container's (GPUs included) would break quotas
  // and GKE Autopilot for a container that only polls.
  const json small = {{"cpu", "200m"}, {"memory", "256Mi"}};
  json c = {{"name", "wait-gcs-ready"},
            {"image", member(user_ray_container, "image")},
            {"command", {"/bin/bash", "-c", "--"}},
            {"args", {script}},
            {"resources", {{"limits", small}, {"requests", small}}}};
  // Env and mounts too: TLS settings for `ray health-check` may point at mounted files.
  for (const char* key : {"imagePullPolicy", "securityContext", "env", "volumeMounts"}) {
    const json& value = member(user_ray_container, key);
    if (!value.is_null()) c[key] = value;
  }
  add_env(c, "FQ_RAY_IP", head_fqdn(cluster));
  add_env(c, "RAY_IP", head_service(cluster));
  return c;
}

json autoscaler_sidecar(const json& cluster, const json& user_ray_container) {
  const json& opts = member(member(cluster, "spec"), "autoscalerOptions");
  const std::string start =
      "ray kuberay-autoscaler --cluster-name $(RAY_CLUSTER_NAME) --cluster-namespace "
      "$(RAY_CLUSTER_NAMESPACE)";
  const std::string image = text(member(opts, "image"));
  const std::string pull = text(member(opts, "imagePullPolicy"));
  const json& command = member(opts, "command");
  const json& args = member(opts, "args");
  const json& resources = member(opts, "resources");
  const json small = {{"cpu", "500m"}, {"memory", "512Mi"}};
  json c = {
      {"name", ray::autoscaler_container},
      {"image", image.empty() ? member(user_ray_container, "image") : json(image)},
      {"imagePullPolicy", pull.empty() ? "IfNotPresent" : pull},
      {"command", command.is_array() ? command : json{"/bin/bash", "-c", "--"}},
      {"args", args.is_array() ? args : json{start}},
      {"resources",
       resources.is_object() ? resources : json{{"limits", small}, {"requests", small}}},
  };
  add_field_env(c, "RAY_CLUSTER_NAME", std::string("metadata.labels['") + label_cluster + "']");
  add_field_env(c, "RAY_CLUSTER_NAMESPACE", "metadata.namespace");
  // The autoscaler reads the head pod's resourceVersion for consistent LISTs.
  add_field_env(c, "RAY_HEAD_POD_NAME", "metadata.name");
  // Without it the autoscaler asks for v1alpha1.
  add_env(c, "KUBERAY_CRD_VER", storage_version);
  add_env(c, "KUBERAY_GEN_AUTOSCALER_START_CMD", start);
  if (const json& env = member(opts, "env"); env.is_array()) {
    for (const auto& var : env) c["env"].push_back(var);
  }
  for (const char* key : {"envFrom", "securityContext", "volumeMounts"}) {
    const json& value = member(opts, key);
    if (!value.is_null()) c[key] = value;
  }
  return c;
}

json child_metadata(const json& cluster, const std::string& name, json labels) {
  return {{"name", name},
          {"namespace", cluster_namespace(cluster)},
          {"labels", std::move(labels)},
          {"ownerReferences", controller_owner_references(cluster)}};
}

json with_hash(json object) {
  const std::string hash = desired_spec_hash(object);
  object["metadata"]["annotations"][annotation_spec_hash] = hash;
  return object;
}

json child_labels(const json& cluster, const std::optional<std::string>& node_type) {
  const std::string name = cluster_name(cluster);
  json labels = {{label_cluster, name}, {label_app_name, app_name}, {label_created_by, created_by}};
  if (node_type) {
    labels[label_node_type] = *node_type;
    labels[label_identifier] = name + "-" + *node_type;
  }
  return labels;
}

}  // namespace ray::detail
