// The scheduler and the pods' kubelets: binding, starting, faults and graceful deletion.
#include <algorithm>
#include <tuple>

#include <spdlog/spdlog.h>

#include "k8s/object_meta.hpp"
#include "k8s/resource.hpp"
#include "sandbox/kubelet_sim/engine.hpp"
#include "sandbox/kubelet_sim/pod_status.hpp"

namespace kubelet_sim {

using nlohmann::json;

namespace {

std::string now_text() {
  return format_time(std::chrono::system_clock::now());
}

constexpr std::chrono::milliseconds retry_delay{1000};

// The client's flow of a write for a pod: its node's kubelet's (see engine::heartbeat), or the
// scheduler's while it is bound to none.
std::string flow_of(const std::string& node) {
  return node.empty() ? "scheduler" : node;
}

}  // namespace

void engine::absorb_pod(const json& pod) {
  auto it = pods_.find(k8s::uid(pod));
  if (it == pods_.end() || resource_version_number(pod) < it->second.resource_version) return;
  it->second = pod_view_of(pod);
}

void engine::reconcile_pod(const std::string& uid, actions& out) {
  auto vit = pods_.find(uid);
  auto rit = runtime_.find(uid);
  if (vit == pods_.end() || rit == runtime_.end()) return;
  pod_view& v = vit->second;
  pod_runtime& rt = rit->second;
  if (rt.busy || rt.refused) return;
  if (!v.faults.fail_exit_code) rt.applied_fail.reset();  // so setting it again fails again
  if (v.faults.invalid != rt.warned_invalid) {
    rt.warned_invalid = v.faults.invalid;
    for (const auto& bad : v.faults.invalid)
      spdlog::warn("pod {}: ignoring annotation {} (unusable value)", v.key(), bad);
  }
  const std::string node = v.node_name.empty() ? rt.assumed_node : v.node_name;
  if (v.deleting) return handle_deletion(v, rt, node, out);
  auto nit = nodes_.find(node);
  if (nit == nodes_.end() || v.terminated()) return;  // unbound, not ours, or finished

  if (!rt.start_due) {
    if (rt.timer_set) return;
    rt.timer_set = true;
    const auto delay = v.faults.start_delay_ms ? std::chrono::milliseconds(*v.faults.start_delay_ms)
                                               : options_.start_delay;
    after(delay, [this, uid](actions& later) {
      auto it = runtime_.find(uid);
      if (it == runtime_.end()) return;
      it->second.start_due = true;
      it->second.timer_set = false;
      reconcile_pod(uid, later);
    });
    return;
  }

  if (rt.pod_ip.empty()) rt.pod_ip = ips_.next();
  run_context ctx{now_text(), nit->second.params.internal_ip, rt.pod_ip,
                  !nit->second.marked_not_ready, rt.applied_fail};
  run_status desired = running_status(v, ctx);
  json patch = status_patch(v.status, desired.status);
  if (patch.empty()) {
    rt.applied_fail = desired.applied_fail;
    return;
  }
  const std::string was = v.phase;
  const std::string now = desired.status.value("phase", "");
  write_pod_status(
      v, std::move(patch),
      [this, uid, applied = desired.applied_fail, was, now] {
        auto it = runtime_.find(uid);
        if (it != runtime_.end()) it->second.applied_fail = applied;
        auto vit = pods_.find(uid);
        if (vit == pods_.end()) return;
        const pod_view& p = vit->second;
        if (was != now && now == "Running") ++starts_;
        if (was != now)
          spdlog::info("pod {} {} on {} ({})", p.key(), now, p.node_name,
                       p.status.value("podIP", ""));
        else
          spdlog::debug("pod {} status updated", p.key());
      },
      out);
}

void engine::handle_deletion(pod_view& v, pod_runtime& rt, const std::string& node, actions& out) {
  if (rt.delete_sent) return;
  const bool ours = nodes_.count(node) > 0;
  if (!node.empty() && !ours) return;  // another kubelet's pod
  if (ours && v.status.contains("containerStatuses")) {
    // The containers stop before the pod goes, as under a real kubelet.
    json patch = status_patch(v.status, stopped_status(v, now_text()));
    const std::string key = v.key();
    if (!patch.empty() &&
        write_pod_status(
            v, std::move(patch), [key] { spdlog::debug("pod {} containers stopped", key); }, out))
      return;
  }
  rt.delete_sent = true;
  k8s::delete_options o;
  o.precondition_uid = v.uid;  // never a new pod that took the same name meanwhile
  o.grace_period_seconds = 0;
  const std::string uid = v.uid, ns = v.ns, name = v.name, key = v.key();
  out.push_back([this, uid, ns, name, key, o, node] {
    api_.remove(k8s::resources::pods, ns, name, o,
                on_reply([this, uid, key](k8s::result<json>& r, actions&) {
                  if (r || vanished(r.error())) {
                    spdlog::info("pod {} deleted", key);
                    return;
                  }
                  spdlog::warn("deleting pod {}: {} (retrying)", key, r.error().describe());
                  auto it = runtime_.find(uid);
                  if (it == runtime_.end()) return;
                  it->second.delete_sent = false;
                  after(retry_delay, [this, uid](actions& o2) { reconcile_pod(uid, o2); });
                }),
                k8s::decode::full, flow_of(node));
  });
}

bool engine::write_pod_status(const pod_view& v, json patch, std::function<void()> on_ok,
                              actions& out) {
  pod_runtime& rt = runtime_[v.uid];
  // The same patch again on the very version our last write produced: the server keeps
  // something other than what we write. Writing it again would only loop.
  if (patch == rt.last_patch && v.resource_version == rt.last_patch_version) {
    if (!rt.warned_no_effect)
      spdlog::warn("pod {}: the API server does not keep the status written: {}", v.key(),
                   patch.dump());
    rt.warned_no_effect = true;
    return false;
  }
  rt.busy = true;
  rt.last_patch = patch;
  const std::string uid = v.uid, ns = v.ns, name = v.name, key = v.key();
  const std::string flow = flow_of(v.node_name.empty() ? rt.assumed_node : v.node_name);
  json body{{"status", std::move(patch)}};
  out.push_back([this, uid, ns, name, key, flow, body = std::move(body), on_ok = std::move(on_ok)] {
    api_.patch(k8s::resources::pods, ns, name, k8s::patch_type::merge, body,
               on_reply([this, uid, key, on_ok](k8s::result<json>& r, actions& later) {
                 auto it = runtime_.find(uid);
                 if (it == runtime_.end()) return;  // deleted meanwhile
                 it->second.busy = false;
                 if (r) {
                   it->second.last_patch_version = resource_version_number(r.value());
                   absorb_pod(r.value());
                   on_ok();
                 } else if (vanished(r.error())) {
                   spdlog::debug("pod {} vanished during a status write", key);
                   return;
                 } else if (refused(r.error())) {
                   spdlog::info("pod {}: status not written, and not retried: {}", key,
                                r.error().describe());
                   it->second.refused = true;
                   return;
                 } else {
                   spdlog::warn("writing the status of pod {}: {} (retrying)", key,
                                r.error().describe());
                   after(retry_delay, [this, uid](actions& o2) {
                     reconcile_pod(uid, o2);
                     schedule_soon();
                   });
                   return;
                 }
                 reconcile_pod(uid, later);
                 schedule_soon();
               }),
               "status", {}, k8s::decode::full, flow);
  });
  return true;
}

void engine::bind(pod_view& v, pod_runtime& rt, const std::string& node, actions& out) {
  rt.assumed_node = node;
  rt.busy = true;
  json binding{{"apiVersion", "v1"},
               {"kind", "Binding"},
               {"metadata", {{"name", v.name}, {"uid", v.uid}}},
               {"target", {{"apiVersion", "v1"}, {"kind", "Node"}, {"name", node}}}};
  const std::string uid = v.uid, key = v.key();
  k8s::http_request_spec spec{"POST", k8s::resources::pods.object_path(v.ns, v.name, "binding"),
                              binding.dump(), "application/json"};
  out.push_back([this, uid, key, node, spec = std::move(spec)] {
    api_.request("create", spec, true,
                 on_reply([this, uid, key, node](k8s::result<json>& r, actions& later) {
                   auto it = runtime_.find(uid);
                   if (it == runtime_.end()) return;
                   it->second.busy = false;
                   if (r) {
                     ++binds_;
                     spdlog::info("pod {} bound to {}", key, node);
                   } else if (refused(r.error())) {
                     it->second.refused = true;
                     spdlog::info("pod {}: not bound, and not retried: {}", key,
                                  r.error().describe());
                     return;
                   } else {
                     it->second.assumed_node.clear();
                     if (vanished(r.error()))
                       spdlog::debug("binding pod {}: {}", key, r.error().describe());
                     else
                       spdlog::warn("binding pod {}: {}", key, r.error().describe());
                     if (!vanished(r.error()))
                       after(retry_delay, [this](actions&) { schedule_soon(); });
                   }
                   reconcile_pod(uid, later);
                   schedule_soon();
                 }),
                 flow_of({}));
  });
}

void engine::schedule(actions& out) {
  if (!ready()) return;
  std::vector<node_candidate> candidates;
  std::map<std::string, size_t> index;
  for (const auto& [name, n] : nodes_) {
    if (!n.exists) continue;
    node_candidate c;
    c.name = name;
    c.ready = schedulable(n);
    c.unschedulable = n.unschedulable;
    for (const auto& [k, val] : n.labels.items())
      if (val.is_string()) c.labels[k] = val.get<std::string>();
    c.allocatable = parse_resource_list(n.status.value("allocatable", json::object()));
    index[name] = candidates.size();
    candidates.push_back(std::move(c));
  }
  const auto started = std::chrono::steady_clock::now();
  std::vector<std::pair<pod_view*, pod_runtime*>> waiting;
  // pods_ and runtime_ are both by uid, with the same keys: walked side by side, a pod's
  // runtime is the next entry rather than a lookup (at 20,000 pods the lookups were most of
  // the simulator's time).
  auto rit = runtime_.begin();
  for (auto& [uid, v] : pods_) {
    while (rit != runtime_.end() && rit->first < uid) ++rit;
    if (rit == runtime_.end() || rit->first != uid) rit = runtime_.try_emplace(rit, uid);
    pod_runtime& rt = rit->second;
    const std::string& node = v.node_name.empty() ? rt.assumed_node : v.node_name;
    if (node.empty()) {
      if (!v.deleting && !v.terminated()) waiting.emplace_back(&v, &rt);
    } else if (auto it = index.find(node); it != index.end() && !v.terminated()) {
      candidates[it->second].used += v.requests;
    }
  }
  std::sort(waiting.begin(), waiting.end(), [](const auto& a, const auto& b) {
    return std::tie(a.first->created, a.first->ns, a.first->name) <
           std::tie(b.first->created, b.first->ns, b.first->name);
  });
  for (auto [v, rt_ptr] : waiting) {
    pod_runtime& rt = *rt_ptr;
    if (rt.busy || rt.refused) continue;
    const placement p = place(v->requests, v->node_selector, candidates);
    if (!p.node.empty()) {
      candidates[index[p.node]].used += v->requests;
      bind(*v, rt, p.node, out);
      continue;
    }
    json patch = status_patch(v->status, unschedulable_status(*v, p.message, now_text()));
    if (patch.empty()) continue;
    const std::string key = v->key(), message = p.message;
    write_pod_status(
        *v, std::move(patch),
        [key, message] { spdlog::info("pod {} unschedulable: {}", key, message); }, out);
  }
  last_pass_ = std::chrono::steady_clock::now() - started;
  ++passes_;
  pass_time_ += last_pass_;
}

}  // namespace kubelet_sim
