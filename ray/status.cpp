#include "ray/status.hpp"

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string_view>

#include "k8s/object_meta.hpp"
#include "k8s/quantity.hpp"
#include "ray/pod_parts.hpp"
#include "ray/status_detail.hpp"

namespace ray {

namespace {

using nlohmann::json;
using namespace status_detail;
using detail::flag;
using detail::int_or;

// Every counter is an int32 in the CRD.
constexpr int64_t int32_max = 2147483647;

int64_t saturate(int64_t n) {
  return n < 0 ? 0 : std::min(n, int32_max);
}

int64_t times(int64_t a, int64_t b) {
  int64_t product = 0;
  if (__builtin_mul_overflow(a, b, &product)) return int32_max;
  return saturate(product);
}

struct group_plan {
  std::string name;
  int64_t desired = 0;  // pods: clamped replicas × numOfHosts
  int64_t min = 0;
  int64_t max = 0;
  const json* pod_template = nullptr;
};

std::vector<group_plan> plan_groups(const json& spec, bool cluster_suspended) {
  std::vector<group_plan> plans;
  const json& groups = member(spec, "workerGroupSpecs");
  if (!groups.is_array()) return plans;
  for (const json& g : groups) {
    if (!g.is_object()) continue;
    group_plan p;
    p.name = text(member(g, "groupName"));
    p.pod_template = &member(g, "template");
    int64_t hosts = saturate(int_or(g, "numOfHosts", 1));
    int64_t min = saturate(int_or(g, "minReplicas", 0));
    int64_t max = saturate(int_or(g, "maxReplicas", int32_max));
    int64_t replicas = std::min(std::max(saturate(int_or(g, "replicas", min)), min), max);
    // A suspended group (KubeRay's RayJob deletion policy) wants nothing, not even its minimum.
    bool group_suspended = flag(g, "suspend");
    p.desired = cluster_suspended || group_suspended ? 0 : times(replicas, hosts);
    p.min = group_suspended ? 0 : times(min, hosts);
    p.max = times(max, hosts);
    plans.push_back(std::move(p));
  }
  return plans;
}

struct resource_totals {
  k8s::quantity cpu, memory, gpu, tpu;
};

bool is_gpu(std::string_view key) {
  auto ends_with = [&](std::string_view s) {
    return key.size() >= s.size() && key.substr(key.size() - s.size()) == s;
  };
  // nvidia.com/mig-1g.5gb: a slice of a GPU, which KubeRay counts as one.
  return ends_with("gpu") || (key.substr(0, 15) == "nvidia.com/mig-" && ends_with("gb"));
}

std::optional<k8s::quantity> parse_quantity(const json& v) {
  std::string textual;
  if (v.is_string())
    textual = v.get<std::string>();
  else if (v.is_number())
    textual = v.dump();
  else
    return std::nullopt;
  auto q = k8s::quantity::parse(textual);
  if (!q || q.value().is_negative()) return std::nullopt;
  return q.value();
}

void add_resource(resource_totals& t, const std::string& key, const json& value, int64_t n) {
  k8s::quantity* total = key == "cpu"              ? &t.cpu
                         : key == "memory"         ? &t.memory
                         : key == "google.com/tpu" ? &t.tpu
                         : is_gpu(key)             ? &t.gpu
                                                   : nullptr;
  if (!total) return;
  if (auto q = parse_quantity(value)) *total += *q * n;
}

// Only the template's containers count: sidecars the operator injects (the autoscaler) are
// not part of what the user asked for, as in KubeRay.
void add_template(resource_totals& t, const json& pod_template, int64_t n) {
  if (n <= 0) return;
  const json& containers = member(member(pod_template, "spec"), "containers");
  if (!containers.is_array()) return;
  for (const json& c : containers) {
    const json& requests = member(member(c, "resources"), "requests");
    const json& limits = member(member(c, "resources"), "limits");
    if (requests.is_object())
      for (const auto& [key, value] : requests.items()) add_resource(t, key, value, n);
    if (limits.is_object())
      for (const auto& [key, value] : limits.items())
        if (!requests.is_object() || !requests.contains(key)) add_resource(t, key, value, n);
  }
}

// During a restart an old head pod may linger while its successor starts; the status speaks
// of the one that is or will be serving.
const observed_pod* pick_head(const std::vector<observed_pod>& pods) {
  const observed_pod* best = nullptr;
  int best_rank = -1;
  for (const observed_pod& p : pods) {
    if (!p.is_head) continue;
    int rank = (p.deleting ? 0 : 4) + (p.phase == "Running" ? 2 : 0) + (p.ready ? 1 : 0);
    if (rank > best_rank) best = &p, best_rank = rank;
  }
  return best;
}

json head_info(const observed_pod* head, const std::optional<observed_service>& service) {
  json h = json::object();
  if (head) {
    h["podName"] = head->name;
    if (!head->pod_ip.empty()) h["podIP"] = head->pod_ip;
  }
  if (service) {
    h["serviceName"] = service->name;
    // A headless service has no address of its own; clients reach the head pod directly.
    std::string ip =
        service->cluster_ip == "None" ? (head ? head->pod_ip : "") : service->cluster_ip;
    if (!ip.empty()) h["serviceIP"] = ip;
  }
  return h;
}

// The stored conditions, one per type, in their order (other writers' types too); malformed
// entries are dropped.
json clean_conditions(const json& stored) {
  json out = json::array();
  if (!stored.is_array()) return out;
  for (const json& c : stored) {
    std::string type = text(member(c, "type"));
    if (!type.empty() && !has_condition(out, type)) out.push_back(c);
  }
  return out;
}

}  // namespace

json compute_status(const status_inputs& in) {
  static const json none;
  const json& stored = in.stored ? *in.stored : none;
  const json& previous = in.previous ? *in.previous : member(stored, "status");

  cluster_view v;
  v.generation = k8s::generation(stored);
  v.now = in.now;
  v.problems = &in.problems;
  v.pods_remain = !in.pods.empty();
  v.head = pick_head(in.pods);
  v.replica_failure_reason = in.replica_failure_reason;
  v.replica_failure_message = in.replica_failure_message;
  for (const child_status& c : in.children) {
    if (c.present) continue;
    if (!v.missing_children.empty()) v.missing_children += "; ";
    v.missing_children += c.kind + " " + c.name + " does not exist";
    if (!c.message.empty()) v.missing_children += ": " + c.message;
    // A child that cannot be created is a failure to report, as a pod's is; the first wins.
    if (!c.reason.empty() && v.replica_failure_reason.empty() &&
        v.replica_failure_message.empty()) {
      v.replica_failure_reason = c.reason;
      v.replica_failure_message = c.kind + " " + c.name + ": " + c.message;
    }
  }
  json conditions = clean_conditions(member(previous, "conditions"));

  // Without a valid spec the desired state is unknown: what was reported stays, and only what
  // can be said without the spec changes.
  if (!in.problems.empty()) {
    json status = previous.is_object() ? previous : json::object();
    update_ready(conditions, v);
    update_spec_valid(conditions, v);
    update_head_pod_ready(conditions, v);
    status["conditions"] = std::move(conditions);
    status["observedGeneration"] = v.generation;
    status["lastUpdateTime"] = in.now;
    return status;
  }

  const json& spec = member(in.defaulted ? *in.defaulted : stored, "spec");
  v.suspend = flag(spec, "suspend");
  std::vector<group_plan> plans = plan_groups(spec, v.suspend);
  for (group_plan& p : plans)
    if (auto hpa = in.hpa_desired.find(p.name); hpa != in.hpa_desired.end())
      p.desired = saturate(hpa->second);

  std::map<std::string, size_t> group_index;
  for (const group_plan& p : plans) {
    group_index.emplace(p.name, v.groups.size());
    v.groups.push_back({p.name, p.desired, 0, 0});
  }
  v.updates_known = in.hashes != nullptr;
  v.upgrade_type = in.upgrade_type;
  if (in.hashes) {
    if (v.head && !v.head->deleting) v.head_outdated = v.head->group_hash != in.hashes->head;
    for (const observed_pod& p : in.pods) {
      if (p.is_head || p.deleting) continue;
      auto it = group_index.find(p.group);
      auto current = in.hashes->groups.find(p.group);
      if (it == group_index.end() || current == in.hashes->groups.end()) continue;
      ++(p.group_hash == current->second ? v.groups[it->second].updated
                                         : v.groups[it->second].outdated);
    }
  }
  int64_t available = 0, ready = 0;
  for (const observed_pod& p : in.pods) {
    if (p.is_head || p.deleting || p.phase != "Running") continue;
    bool pod_ready = p.ready;
    ++available;
    if (pod_ready) ++ready;
    auto it = group_index.find(p.group);
    if (it == group_index.end()) continue;
    ++v.groups[it->second].available;
    if (pod_ready) ++v.groups[it->second].ready;
  }

  json status = json::object();
  status["observedGeneration"] = v.generation;
  status["lastUpdateTime"] = in.now;
  status["availableWorkerReplicas"] = saturate(available);
  status["readyWorkerReplicas"] = saturate(ready);

  int64_t desired = 0, min = 0, max = 0;
  resource_totals totals;
  add_template(totals, member(member(spec, "headGroupSpec"), "template"), 1);
  json groups = json::array();
  for (size_t i = 0; i < plans.size(); ++i) {
    desired = saturate(desired + plans[i].desired);
    min = saturate(min + plans[i].min);
    max = saturate(max + plans[i].max);
    add_template(totals, *plans[i].pod_template, plans[i].desired);
    const group_count& g = v.groups[i];
    groups.push_back({{"groupName", g.name},
                      {"desiredReplicas", g.desired},
                      {"availableReplicas", saturate(g.available)},
                      {"readyReplicas", saturate(g.ready)}});
    if (v.updates_known) {
      groups.back()["updatedReplicas"] = saturate(g.updated);
      groups.back()["outdatedReplicas"] = saturate(g.outdated);
    }
  }
  status["desiredWorkerReplicas"] = desired;
  status["minWorkerReplicas"] = min;
  status["maxWorkerReplicas"] = max;
  status["workerGroups"] = std::move(groups);
  status["desiredCPU"] = totals.cpu.to_string();
  status["desiredMemory"] = totals.memory.to_string();
  status["desiredGPU"] = totals.gpu.to_string();
  status["desiredTPU"] = totals.tpu.to_string();

  status["head"] = head_info(v.head, in.head_service);
  if (in.head_service && !in.head_service->ports.empty()) {
    json endpoints = json::object();
    for (const auto& [name, port] : in.head_service->ports)
      if (!endpoints.contains(name)) endpoints[name] = std::to_string(port);
    status["endpoints"] = std::move(endpoints);
  }

  // Decided before the conditions move on: "unhealthy" means it was provisioned before now.
  std::string state;
  if (all_ready(v))
    state = "ready";
  else if (v.suspend && !v.pods_remain)
    state = "suspended";
  else if (condition_is_true(conditions, "RayClusterProvisioned"))
    state = "unhealthy";

  json transitions = member(previous, "stateTransitionTimes");
  if (!transitions.is_object()) transitions = json::object();
  if (!state.empty()) {
    status["state"] = state;
    if (text(member(previous, "state")) != state) transitions[state] = in.now;
  }
  if (!transitions.empty()) status["stateTransitionTimes"] = std::move(transitions);

  update_ready(conditions, v);
  update_spec_valid(conditions, v);
  update_head_pod_ready(conditions, v);
  update_lifecycle(conditions, v);
  update_up_to_date(conditions, v);
  status["conditions"] = std::move(conditions);
  return status;
}

namespace {

// Conditions are a list keyed by type: their order carries no meaning.
json comparable(const json& status) {
  json s = status.is_object() ? status : json::object();
  s.erase("lastUpdateTime");
  auto it = s.find("conditions");
  if (it != s.end() && it->is_array()) {
    json by_type = json::object();
    for (size_t i = 0; i < it->size(); ++i) {
      std::string type = text(member((*it)[i], "type"));
      by_type[type.empty() ? "#" + std::to_string(i) : type] = (*it)[i];
    }
    *it = std::move(by_type);
  }
  return s;
}

}  // namespace

bool status_differs(const json& previous, const json& next) {
  return comparable(previous) != comparable(next);
}

}  // namespace ray
