#include "ray/ray_start.hpp"

#include <algorithm>
#include <cctype>
#include <optional>
#include <regex>
#include <string>

#include "k8s/quantity.hpp"
#include "ray/constants.hpp"
#include "ray/pod_parts.hpp"

namespace ray {

using detail::member;
using detail::text;
using nlohmann::json;

namespace {

std::string lowercase_trimmed(const std::string& s) {
  const auto first = s.find_first_not_of(' ');
  if (first == std::string::npos) return "";
  std::string out = s.substr(first, s.find_last_not_of(' ') - first + 1);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// A quantity's whole units, rounded up as Quantity.Value() does; empty for a missing, zero
// or malformed quantity, which KubeRay treats alike (the next source is tried).
std::optional<int64_t> whole_units(const json& quantity_text) {
  const std::string t = text(quantity_text);
  if (t.empty()) return std::nullopt;
  auto q = k8s::quantity::parse(t);
  if (!q || q.value().is_zero() || q.value().is_negative()) return std::nullopt;
  return q.value().ceil_value();
}

void set_if_absent(json& params, const char* key, const std::string& value) {
  if (!params.contains(key)) params[key] = value;
}

// A GPU limit: any key ending in "gpu" (nvidia.com/gpu, amd.com/gpu), or a MIG slice
// (nvidia.com/mig-1g.5gb), each of which Ray counts as a GPU.
bool is_gpu_resource(const std::string& key) {
  static const std::regex mig(R"(^nvidia\.com/mig-\d+g\.\d+gb$)");
  return ends_with(key, "gpu") || std::regex_match(key, mig);
}

// A number as Ray's --resources JSON wants it: 4, not 4.0.
json resource_amount(const k8s::quantity& q) {
  const int64_t milli = q.milli_value();
  if (milli % 1000 == 0) return milli / 1000;
  return static_cast<double>(milli) / 1000.0;
}

// --resources is JSON in single quotes ('{"TPU":4}'), as `ray start` takes it through bash.
std::string quoted_resources(const json& resources) {
  return "'" + resources.dump() + "'";
}

// The group's `resources` field (KubeRay 1.5): cpu, memory and GPUs become their own flags,
// any other name a custom resource. Validation keeps the flags themselves out of
// rayStartParams when this field is set.
void add_group_resources(json& params, const json& resources) {
  if (!resources.is_object()) return;
  json custom = json::object();
  for (const auto& [name, value] : resources.items()) {
    auto q = k8s::quantity::parse(text(value));
    if (!q) continue;
    std::string lower = name;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (lower == "cpu") {
      params["num-cpus"] = resource_amount(q.value()).dump();
    } else if (lower == "memory") {
      params["memory"] = std::to_string(q.value().ceil_value());
    } else if (ends_with(lower, "gpu")) {
      params["num-gpus"] = resource_amount(q.value()).dump();
    } else {
      custom[name] = resource_amount(q.value());
    }
  }
  if (!custom.empty()) params["resources"] = quoted_resources(custom);
}

// TPUs and AWS Neuron cores are custom resources to Ray: a google.com/tpu: 4 limit must be
// advertised as {"TPU": 4}, or Ray schedules nothing on the pod. Merged into the user's own
// --resources, unless that already names one of them.
void add_accelerator_resources(json& params, const json& limits) {
  if (!limits.is_object()) return;
  json resources = json::object();
  if (params.contains("resources")) {
    std::string given = text(params["resources"]);
    while (!given.empty() && (given.front() == '\'' || given.front() == '"')) given.erase(0, 1);
    while (!given.empty() && (given.back() == '\'' || given.back() == '"')) given.pop_back();
    resources = json::parse(given, nullptr, false);
    if (!resources.is_object()) {
      // KubeRay's documented form, '"{\"Custom1\": 1}"', escapes the quotes for bash.
      std::string unescaped;
      for (size_t i = 0; i < given.size(); ++i)
        if (!(given[i] == '\\' && i + 1 < given.size() && given[i + 1] == '"'))
          unescaped += given[i];
      resources = json::parse(unescaped, nullptr, false);
    }
    if (!resources.is_object()) return;  // not JSON we can merge into: left as written
  }
  if (resources.contains("TPU") || resources.contains("neuron_cores")) return;
  for (const auto& [key, value] : limits.items()) {
    const char* ray_name = key == "google.com/tpu"              ? "TPU"
                           : key == "aws.amazon.com/neuroncore" ? "neuron_cores"
                                                                : nullptr;
    if (!ray_name) continue;
    if (auto units = whole_units(value)) {
      resources[ray_name] = *units;
      params["resources"] = quoted_resources(resources);
      return;
    }
  }
}

// The Ray container's resources decide what Ray advertises, so Ray and the autoscaler (which
// reads the same fields) agree on each node's size.
void add_resource_params(json& params, const json& resources) {
  const json& limits = member(resources, "limits");
  const json& requests = member(resources, "requests");
  if (!params.contains("num-cpus")) {
    auto cpus = whole_units(member(limits, "cpu"));
    if (!cpus) cpus = whole_units(member(requests, "cpu"));
    if (cpus) params["num-cpus"] = std::to_string(*cpus);
  }
  if (!params.contains("memory")) {
    if (auto bytes = whole_units(member(limits, "memory")))
      params["memory"] = std::to_string(*bytes);
  }
  if (!params.contains("num-gpus") && limits.is_object()) {
    // nlohmann objects iterate in key order, which is the sorted order KubeRay scans.
    for (const auto& [key, value] : limits.items()) {
      if (!is_gpu_resource(key)) continue;
      if (auto gpus = whole_units(value)) {
        params["num-gpus"] = std::to_string(*gpus);
        break;
      }
    }
  }
  add_accelerator_resources(params, limits);
}

// The group's Ray node labels (KubeRay 1.5) as `--labels=k1=v1,k2=v2`, sorted by key.
void add_group_labels(json& params, const json& labels) {
  if (!labels.is_object() || labels.empty()) return;
  std::string out;
  for (const auto& [key, value] : labels.items()) {
    if (!out.empty()) out += ",";
    out += key + "=" + text(value);
  }
  params["labels"] = out;
}

}  // namespace

json completed_ray_start_params(const json& cluster, const json& group, bool head) {
  json params = json::object();
  const json& given = member(group, "rayStartParams");
  if (given.is_object()) {
    for (const auto& [key, value] : given.items()) {
      if (!value.is_null()) params[key] = text(value);
    }
  }
  add_group_resources(params, member(group, "resources"));
  add_group_labels(params, member(group, "labels"));
  detail::add_gcs_ft_params(params, cluster, head);
  // Without --block, `ray start` returns and the container exits.
  params["block"] = "true";
  if (head) {
    set_if_absent(params, "dashboard-host", "0.0.0.0");
    // The autoscaler sidecar replaces Ray's in-head monitor.
    if (detail::autoscaling_enabled(cluster)) params["no-monitor"] = "true";
  } else {
    set_if_absent(params, "address", detail::head_fqdn(cluster) + ":" + detail::head_port(cluster));
  }
  set_if_absent(params, "metrics-export-port", std::to_string(port_metrics));
  set_if_absent(params, "dashboard-agent-listen-port", std::to_string(port_dashboard_agent));

  const json& containers = member(member(member(group, "template"), "spec"), "containers");
  if (containers.is_array() && !containers.empty()) {
    add_resource_params(params, member(containers[0], "resources"));
  }
  return params;
}

std::string ray_start_command(const json& completed_params, bool head) {
  std::string cmd = detail::ulimit_prefix;
  cmd += "ray start";
  if (head) cmd += " --head";
  if (!completed_params.is_object()) return cmd;
  for (const auto& [key, value] : completed_params.items()) {
    const std::string v = text(value);
    const std::string normalized = lowercase_trimmed(v);
    if (normalized == "true") {
      cmd += " --" + key;
    } else if (normalized == "false") {
      // Ray defaults these three to true, so only an explicit false can turn them off.
      if (key == "log-color" || key == "include-dashboard" || key == "include-log-monitor") {
        cmd += " --" + key + "=" + v;
      }
    } else {
      cmd += " --" + key + "=" + v;
    }
  }
  return cmd;
}

}  // namespace ray
