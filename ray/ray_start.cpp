#include "ray/ray_start.hpp"

#include <algorithm>
#include <cctype>
#include <optional>
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
      if (!ends_with(key, "gpu")) continue;
      if (auto gpus = whole_units(value)) {
        params["num-gpus"] = std::to_string(*gpus);
        break;
      }
    }
  }
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
