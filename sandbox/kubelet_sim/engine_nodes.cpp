// The nodes' kubelets: registration, status, heartbeats and leases.
#include <spdlog/spdlog.h>

#include "k8s/object_meta.hpp"
#include "k8s/resource.hpp"
#include "sandbox/kubelet_sim/engine.hpp"
#include "sandbox/kubelet_sim/faults.hpp"
#include "sandbox/kubelet_sim/pod_status.hpp"

namespace kubelet_sim {

using nlohmann::json;

namespace {

constexpr std::chrono::milliseconds retry_delay{2000};

bool ready_condition_true(const json& status) {
  for (const auto& c : status.value("conditions", json::array()))
    if (c.is_object() && c.value("type", "") == "Ready") return c.value("status", "") == "True";
  return false;
}

}  // namespace

void engine::observe_node(node_state& n, const json& node) {
  const bool was_marked = n.marked_not_ready;
  n.exists = true;
  n.uid = k8s::uid(node);
  n.resource_version = resource_version_number(node);
  n.status = node.value("status", json::object());
  n.labels = node.value("/metadata/labels"_json_pointer, json::object());
  n.marked_not_ready = node_marked_not_ready(k8s::annotations(node));
  n.unschedulable = node.value("/spec/unschedulable"_json_pointer, false);
  if (was_marked != n.marked_not_ready)
    spdlog::info("node {} marked {}", n.params.name, n.marked_not_ready ? "not ready" : "ready");
}

bool engine::schedulable(const node_state& n) const {
  return n.exists && !n.marked_not_ready && !n.unschedulable && ready_condition_true(n.status);
}

void engine::reconcile_node(const std::string& name, actions& out) {
  node_state& n = nodes_.at(name);
  if (n.busy || !nodes_synced_) return;
  const std::string now = format_time(std::chrono::system_clock::now());
  if (!n.exists) {
    n.busy = true;
    json node = node_object(n.params, now);
    out.push_back([this, name, node = std::move(node)] {
      api_.create(k8s::resources::nodes, "", node,
                  on_reply([this, name](k8s::result<json>& r, actions& later) {
                    node_state& n = nodes_.at(name);
                    n.busy = false;
                    if (r) {
                      spdlog::info("node {} registered", name);
                      observe_node(n, r.value());
                      renew_lease(n, later);
                    } else if (r.error().kind() == k8s::error_kind::already_exists) {
                      spdlog::debug("node {} exists already", name);  // the watch brings it
                    } else {
                      spdlog::warn("registering node {}: {} (retrying)", name,
                                   r.error().describe());
                      after(retry_delay, [this, name](actions& o) { reconcile_node(name, o); });
                    }
                  }),
                  k8s::decode::full, name);
    });
    return;
  }
  const json labels = node_labels(n.params);
  json missing = json::object();
  for (const auto& [k, v] : labels.items())
    if (n.labels.value(k, json()) != v) missing[k] = v;
  if (!missing.empty()) {
    n.busy = true;
    out.push_back([this, name, missing] {
      api_.patch(k8s::resources::nodes, "", name, k8s::patch_type::merge,
                 json{{"metadata", {{"labels", missing}}}},
                 on_reply([this, name](k8s::result<json>& r, actions& later) {
                   node_state& n = nodes_.at(name);
                   n.busy = false;
                   if (r && k8s::uid(r.value()) == n.uid) observe_node(n, r.value());
                   if (!r) spdlog::warn("labelling node {}: {}", name, r.error().describe());
                   if (r) reconcile_node(name, later);
                 }),
                 {}, {}, k8s::decode::full, name);
    });
    return;
  }
  const json desired = node_status(n.params, n.status, !n.marked_not_ready, now, false);
  if (!status_patch(n.status, desired).empty()) write_node_status(n, out);
}

void engine::write_node_status(node_state& n, actions& out) {
  const std::string now = format_time(std::chrono::system_clock::now());
  json body{{"status", node_status(n.params, n.status, !n.marked_not_ready, now, true)}};
  n.busy = true;
  const std::string name = n.params.name;
  out.push_back([this, name, body = std::move(body)] {
    api_.patch(k8s::resources::nodes, "", name, k8s::patch_type::merge, body,
               on_reply([this, name](k8s::result<json>& r, actions& later) {
                 node_state& n = nodes_.at(name);
                 n.busy = false;
                 if (r) {
                   if (k8s::uid(r.value()) == n.uid &&
                       resource_version_number(r.value()) >= n.resource_version)
                     observe_node(n, r.value());
                   reconcile_node(name, later);
                   schedule(later);
                 } else if (r.error().kind() == k8s::error_kind::not_found) {
                   spdlog::debug("node {} vanished during a status write", name);
                 } else {
                   spdlog::warn("writing the status of node {}: {}", name, r.error().describe());
                   after(retry_delay, [this, name](actions& o) { reconcile_node(name, o); });
                 }
               }),
               "status", {}, k8s::decode::full, name);
  });
}

// Each node's writes (its registration, status and lease) are of its own flow, and so are the
// writes for its pods (engine_pods.cpp), as every real kubelet has a client of its own: while
// thousands of pod writes wait for the client's bound on requests in flight, a node's lease
// renewal waits a turn, not behind them all, and the node does not go NotReady for it.
void engine::heartbeat(actions& out) {
  for (auto& [name, n] : nodes_) {
    if (!n.exists) continue;
    if (!n.busy) write_node_status(n, out);
    renew_lease(n, out);
  }
  after(options_.heartbeat, [this](actions& later) { heartbeat(later); });
}

void engine::renew_lease(const node_state& n, actions& out) {
  const std::string name = n.params.name, node_uid = n.uid;
  const std::string renewed = format_micro_time(std::chrono::system_clock::now());
  out.push_back([this, name, node_uid, renewed] {
    const auto& leases = k8s::resources::leases;
    api_.patch(
        leases, node_lease_namespace, name, k8s::patch_type::merge, lease_renewal(name, renewed),
        on_reply([this, name, node_uid, renewed](k8s::result<json>& r, actions& later) {
          if (r) return;
          if (r.error().kind() != k8s::error_kind::not_found) {
            spdlog::warn("renewing the lease of node {}: {}", name, r.error().describe());
            return;
          }
          later.push_back([this, name, node_uid, renewed] {
            api_.create(
                k8s::resources::leases, node_lease_namespace, lease_object(name, node_uid, renewed),
                on_reply([name](k8s::result<json>& r, actions&) {
                  if (r)
                    spdlog::debug("lease of node {} created", name);
                  else if (r.error().kind() != k8s::error_kind::already_exists)
                    spdlog::warn("creating the lease of node {}: {}", name, r.error().describe());
                }),
                k8s::decode::full, name);
          });
        }),
        {}, {}, k8s::decode::full, name);
  });
}

}  // namespace kubelet_sim
