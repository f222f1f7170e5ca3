#include "sandbox/kubelet_sim/fit.hpp"

#include <algorithm>
#include <optional>
#include <tuple>

#include "k8s/quantity.hpp"

namespace kubelet_sim {

amounts& amounts::operator+=(const amounts& o) {
  cpu_milli += o.cpu_milli;
  memory += o.memory;
  gpu += o.gpu;
  pods += o.pods;
  return *this;
}

bool amounts::operator==(const amounts& o) const {
  return std::tie(cpu_milli, memory, gpu, pods) == std::tie(o.cpu_milli, o.memory, o.gpu, o.pods);
}

namespace {

// Quantities arrive as strings, but a hand-written object may carry a bare number.
std::optional<k8s::quantity> quantity_at(const nlohmann::json& list, const char* key) {
  if (!list.is_object()) return std::nullopt;
  auto it = list.find(key);
  if (it == list.end()) return std::nullopt;
  std::string text;
  if (it->is_string())
    text = it->get<std::string>();
  else if (it->is_number())
    text = it->dump();
  else
    return std::nullopt;
  auto q = k8s::quantity::parse(text);
  if (!q || q.value().is_negative()) return std::nullopt;
  return q.value();
}

int64_t units(const std::optional<k8s::quantity>& q) {
  return q ? q->ceil_value() : 0;
}

amounts max_of(const amounts& a, const amounts& b) {
  return {std::max(a.cpu_milli, b.cpu_milli), std::max(a.memory, b.memory), std::max(a.gpu, b.gpu),
          std::max(a.pods, b.pods)};
}

}  // namespace

amounts parse_resource_list(const nlohmann::json& list) {
  amounts out;
  if (auto cpu = quantity_at(list, "cpu")) out.cpu_milli = cpu->milli_value();
  out.memory = units(quantity_at(list, "memory"));
  out.gpu = units(quantity_at(list, gpu_resource));
  out.pods = units(quantity_at(list, "pods"));
  return out;
}

amounts container_requests(const nlohmann::json& container) {
  const auto resources = container.value("resources", nlohmann::json::object());
  const auto requests = resources.value("requests", nlohmann::json::object());
  const auto limits = resources.value("limits", nlohmann::json::object());
  const auto either = [&](const char* key) {
    auto q = quantity_at(requests, key);
    return q ? q : quantity_at(limits, key);
  };
  amounts out;
  if (auto cpu = either("cpu")) out.cpu_milli = cpu->milli_value();
  out.memory = units(either("memory"));
  out.gpu = units(either(gpu_resource));
  return out;
}

amounts pod_requests(const nlohmann::json& pod_spec) {
  if (!pod_spec.is_object()) return amounts{0, 0, 0, 1};
  amounts containers;
  for (const auto& c : pod_spec.value("containers", nlohmann::json::array()))
    containers += container_requests(c);
  amounts init;
  for (const auto& c : pod_spec.value("initContainers", nlohmann::json::array()))
    init = max_of(init, container_requests(c));
  amounts out = max_of(containers, init);
  out += parse_resource_list(pod_spec.value("overhead", nlohmann::json::object()));
  out.pods = 1;
  return out;
}

std::vector<std::string> misfits(const amounts& request, const label_map& node_selector,
                                 const node_candidate& node) {
  // The scheduler stops at the first failing filter, except that the resource filter names
  // every resource that is short; the order here is its filter order.
  if (node.unschedulable) return {"node(s) were unschedulable"};
  if (!node.ready) return {"node(s) were not ready"};
  for (const auto& [key, value] : node_selector) {
    auto it = node.labels.find(key);
    if (it == node.labels.end() || it->second != value)
      return {"node(s) didn't match node selector"};
  }
  std::vector<std::string> out;
  const amounts& a = node.allocatable;
  const amounts& u = node.used;
  if (u.pods + 1 > a.pods) out.push_back("Too many pods");
  if (request.cpu_milli > 0 && u.cpu_milli + request.cpu_milli > a.cpu_milli)
    out.push_back("Insufficient cpu");
  if (request.memory > 0 && u.memory + request.memory > a.memory)
    out.push_back("Insufficient memory");
  if (request.gpu > 0 && u.gpu + request.gpu > a.gpu)
    out.push_back(std::string("Insufficient ") + gpu_resource);
  return out;
}

placement place(const amounts& request, const label_map& node_selector,
                const std::vector<node_candidate>& nodes) {
  if (nodes.empty()) return {"", "no nodes available to schedule pods"};
  const node_candidate* best = nullptr;
  // Fewer pods breaks ties, so pods without requests spread too.
  const auto free_of = [](const node_candidate& n) {
    return std::make_tuple(n.allocatable.cpu_milli - n.used.cpu_milli, -n.used.pods,
                           n.allocatable.memory - n.used.memory);
  };
  std::map<std::string, int> histogram;
  for (const auto& node : nodes) {
    const auto why = misfits(request, node_selector, node);
    for (const auto& reason : why) ++histogram[reason];
    if (!why.empty()) continue;
    if (!best || free_of(node) > free_of(*best) ||
        (free_of(node) == free_of(*best) && node.name < best->name))
      best = &node;
  }
  if (best) return {best->name, ""};
  // The scheduler's FitError text: "<count> <reason>" entries sorted as strings.
  std::vector<std::string> parts;
  for (const auto& [reason, count] : histogram)
    parts.push_back(std::to_string(count) + " " + reason);
  std::sort(parts.begin(), parts.end());
  std::string message = "0/" + std::to_string(nodes.size()) + " nodes are available: ";
  for (size_t i = 0; i < parts.size(); ++i) message += (i ? ", " : "") + parts[i];
  return {"", message + "."};
}

}  // namespace kubelet_sim
