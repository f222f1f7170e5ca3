#include "ray/updates.hpp"

#include <cmath>

#include "ray/children.hpp"
#include "ray/pod_parts.hpp"

namespace ray {

using detail::member;
using detail::text;
using nlohmann::json;

namespace {

// The parts of a group that shape its pods. A missing part and an explicit null hash alike.
json pod_shaping(const json& group, const json& spec) {
  json parts = json::object();
  for (const char* key : {"template", "rayStartParams", "resources", "labels"})
    if (const json& v = member(group, key); !v.is_null()) parts[key] = v;
  if (const json& v = member(spec, "rayVersion"); !v.is_null()) parts["rayVersion"] = v;
  return parts;
}

upgrade_type parse_type(const json& strategy) {
  const std::string type = text(member(strategy, "type"));
  if (type == "Recreate") return upgrade_type::recreate;
  if (type == "RollingUpdate") return upgrade_type::rolling_update;
  return upgrade_type::none;
}

// An int-or-string: 3, "3" or "25%". Bad values were refused by validation; here they are 0.
int64_t resolve(const json& value, int64_t total, bool round_up, int64_t fallback) {
  if (value.is_null()) return fallback;
  if (value.is_number_integer()) return std::max<int64_t>(0, value.get<int64_t>());
  const std::string s = text(value);
  if (s.empty()) return fallback;
  try {
    if (s.back() == '%') {
      const double share = std::stod(s.substr(0, s.size() - 1)) / 100.0 * double(total);
      return std::max<int64_t>(0, int64_t(round_up ? std::ceil(share) : std::floor(share)));
    }
    return std::max<int64_t>(0, std::stoll(s));
  } catch (const std::exception&) {
    return 0;
  }
}

}  // namespace

spec_hashes user_spec_hashes(const json& stored) {
  spec_hashes h;
  const json& spec = member(stored, "spec");
  json head = pod_shaping(member(spec, "headGroupSpec"), spec);
  // The autoscaler is a sidecar of the head: its settings shape the head pod.
  for (const char* key : {"enableInTreeAutoscaling", "autoscalerOptions"})
    if (const json& v = member(spec, key); !v.is_null()) head[key] = v;
  h.head = desired_spec_hash(head);
  json all = {{"head", h.head}, {"groups", json::object()}};
  const json& groups = member(spec, "workerGroupSpecs");
  if (groups.is_array())
    for (const json& g : groups) {
      const std::string name = text(member(g, "groupName"));
      h.groups[name] = desired_spec_hash(pod_shaping(g, spec));
      all["groups"][name] = h.groups[name];
    }
  h.cluster = desired_spec_hash(all);
  return h;
}

upgrade_type head_upgrade_type(const json& cluster) {
  return parse_type(member(member(cluster, "spec"), "upgradeStrategy"));
}

upgrade_strategy group_upgrade_strategy(const json& cluster, const json& group,
                                        int64_t desired_pods) {
  const json& cluster_strategy = member(member(cluster, "spec"), "upgradeStrategy");
  const json& own = member(group, "upgradeStrategy");
  upgrade_strategy s;
  s.type = parse_type(cluster_strategy);
  if (s.type != upgrade_type::recreate && !member(own, "type").is_null()) s.type = parse_type(own);
  const json& cluster_rolling = member(cluster_strategy, "rollingUpdate");
  const json& own_rolling = member(own, "rollingUpdate");
  auto pick = [&](const char* key) -> const json& {
    const json& mine = member(own_rolling, key);
    return mine.is_null() ? member(cluster_rolling, key) : mine;
  };
  s.max_unavailable = resolve(pick("maxUnavailable"), desired_pods, false, 1);
  s.max_surge = resolve(pick("maxSurge"), desired_pods, true, 1);
  if (s.max_unavailable == 0 && s.max_surge == 0) s.max_unavailable = 1;
  return s;
}

const char* to_string(upgrade_type type) {
  switch (type) {
    case upgrade_type::recreate:
      return "Recreate";
    case upgrade_type::rolling_update:
      return "RollingUpdate";
    case upgrade_type::none:
      break;
  }
  return "None";
}

}  // namespace ray
