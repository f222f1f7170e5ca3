#include "sandbox/kubelet_sim/engine.hpp"

#include <algorithm>
#include <future>
#include <thread>

#include <spdlog/spdlog.h>

#include "k8s/object_meta.hpp"
#include "k8s/resource.hpp"
#include "sandbox/kubelet_sim/pod_status.hpp"

namespace kubelet_sim {

namespace {

k8s::client_options client_options_for_simulator() {
  k8s::client_options o;
  // A kubelet per node and a scheduler each have their own budget in a real cluster; one
  // process playing all of them needs the sum to start 100+ pods in a few seconds.
  o.qps = 400;
  o.burst = 800;
  // And many requests in flight: a benchmark's figures should be the operator's and the API
  // server's, with the simulator's binds and status writes keeping up behind them.
  o.max_in_flight = 48;
  o.transport.user_agent = "kubelet-sim";  // names the writer in managedFields and audit logs
  return o;
}

}  // namespace

bool vanished(const k8s::api_error& e) {
  return e.kind() == k8s::error_kind::not_found || e.kind() == k8s::error_kind::conflict;
}

bool refused(const k8s::api_error& e) {
  return e.kind() == k8s::error_kind::forbidden;
}

engine::engine(k8s::config cfg, sim_options options)
    : options_(std::move(options)), api_(std::move(cfg), client_options_for_simulator()) {
  for (int i = 0; i < options_.nodes; ++i) {
    node_state n;
    n.params.name = options_.node_prefix + std::to_string(i);
    n.params.internal_ip = node_internal_ip(i);
    n.params.cpu = options_.node_cpu;
    n.params.memory = options_.node_memory;
    n.params.gpu = options_.node_gpu;
    n.params.pods = options_.node_pods;
    nodes_.emplace(n.params.name, std::move(n));
  }
  api_.set_observer([](const k8s::request_record& r) {
    spdlog::trace("{} {} -> {} in {} ms (attempt {})", r.verb, r.path, r.status,
                  std::chrono::duration_cast<std::chrono::milliseconds>(r.latency).count(),
                  r.attempt);
  });
}

engine::~engine() {
  stop();
}

bool engine::start(const std::function<bool()>& stop_requested) {
  // The nodes report the server's version as their kubelet's, like nodes of a real cluster.
  for (;;) {
    auto reply = std::make_shared<std::promise<k8s::result<nlohmann::json>>>();
    auto answer = reply->get_future();
    api_.request("get", {"GET", "/version", {}, {}}, true,
                 [reply](k8s::result<nlohmann::json> r) { reply->set_value(std::move(r)); });
    while (answer.wait_for(std::chrono::milliseconds(200)) != std::future_status::ready)
      if (stop_requested()) return false;
    auto r = answer.get();
    if (r) {
      kubelet_version_ = r.value().value("gitVersion", kubelet_version_);
      break;
    }
    spdlog::warn("the API server does not answer yet: {}", r.error().describe());
    for (int i = 0; i < 10; ++i) {
      if (stop_requested()) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }
  spdlog::info("API server {} ({}); simulating {} node(s)", api_.cfg().server, kubelet_version_,
               nodes_.size());
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& [name, n] : nodes_) n.params.kubelet_version = kubelet_version_;
  }
  const auto on_error = [](const char* what) {
    return [what](const k8s::api_error& e) {
      spdlog::warn("watching {}: {} (retrying)", what, e.describe());
    };
  };
  k8s::watcher_options wo;
  // After an API server restart every resume fails with 410 and relists; a test waiting on
  // pods should not sit out a backoff grown during the outage, and loopback is cheap.
  wo.retry_backoff =
      k8s::backoff_policy{std::chrono::milliseconds(200), std::chrono::milliseconds(2000)};
  node_watch_ = std::make_unique<k8s::watcher>(
      api_, k8s::resources::nodes, "", wo,
      [this](k8s::watcher_event e) {
        locked([&](actions& out) { on_node_event(std::move(e), out); });
      },
      on_error("nodes"));
  pod_watch_ = std::make_unique<k8s::watcher>(
      api_, k8s::resources::pods, "", wo,
      [this](k8s::watcher_event e) {
        locked([&](actions& out) { on_pod_event(std::move(e), out); });
      },
      on_error("pods"));
  node_watch_->start();
  pod_watch_->start();
  return true;
}

void engine::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  if (pod_watch_) pod_watch_->stop();
  if (node_watch_) node_watch_->stop();
  timers_.shutdown();
  while (running_actions_ > 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
}

void engine::locked(const std::function<void(actions&)>& f) {
  actions out;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) return;
    f(out);
    if (out.empty()) return;
    ++running_actions_;
  }
  for (auto& a : out) a();
  --running_actions_;
}

k8s::client::json_callback engine::on_reply(reply_handler f) {
  return [this, f = std::move(f)](k8s::result<nlohmann::json> r) {
    locked([&](actions& out) { f(r, out); });
  };
}

void engine::after(std::chrono::milliseconds delay, std::function<void(actions&)> f) {
  timers_.post_after(delay, [this, f = std::move(f)] { locked(f); });
}

engine::pod_runtime& engine::runtime_for(const pod_view& v) {
  auto [it, created] = runtime_.try_emplace(v.uid);
  if (created) {
    // First sight of this pod (also after our own restart): what it already shows is what we
    // did before, so it is kept rather than redone.
    it->second.applied_fail = applied_fail_of(v);
    it->second.start_due = v.phase == "Running" || v.terminated();
    const auto ips = pod_ips(v.status);
    if (!ips.empty()) it->second.pod_ip = ips.front();
  }
  return it->second;
}

void engine::on_pod_event(k8s::watcher_event e, actions& out) {
  using kind = k8s::watcher_event::kind;
  switch (e.type) {
    case kind::init:
      pods_relisted_.clear();
      return;
    case kind::init_apply: {
      auto v = pod_view_of(e.object);
      pods_relisted_[v.uid] = std::move(v);
      return;
    }
    case kind::init_done: {
      pods_.swap(pods_relisted_);
      pods_relisted_.clear();
      for (auto it = runtime_.begin(); it != runtime_.end();)
        it = pods_.count(it->first) ? std::next(it) : runtime_.erase(it);
      for (const auto& [uid, v] : pods_) {
        for (const auto& ip : pod_ips(v.status)) ips_.observe(ip);
        runtime_for(v);
      }
      if (!pods_synced_) spdlog::info("pods listed: {}", pods_.size());
      pods_synced_ = true;
      if (ready()) reconcile_everything(out);
      return;
    }
    case kind::apply: {
      auto v = pod_view_of(e.object);
      auto it = pods_.find(v.uid);
      if (it != pods_.end() && v.resource_version < it->second.resource_version) return;
      for (const auto& ip : pod_ips(v.status)) ips_.observe(ip);
      const std::string uid = v.uid;
      runtime_for(v);
      pods_[uid] = std::move(v);
      if (!ready()) return;
      reconcile_pod(uid, out);
      schedule_soon();
      return;
    }
    case kind::remove: {
      const std::string uid = k8s::uid(e.object);
      pods_.erase(uid);
      runtime_.erase(uid);
      if (ready()) schedule_soon();
      return;
    }
  }
}

void engine::on_node_event(k8s::watcher_event e, actions& out) {
  using kind = k8s::watcher_event::kind;
  switch (e.type) {
    case kind::init:
      nodes_relisted_.clear();
      return;
    case kind::init_apply:
      if (nodes_.count(k8s::name(e.object))) nodes_relisted_[k8s::name(e.object)] = e.object;
      return;
    case kind::init_done:
      for (auto& [name, n] : nodes_) {
        auto seen = nodes_relisted_.find(name);
        if (seen != nodes_relisted_.end())
          observe_node(n, seen->second);
        else if (!n.busy)
          n.exists = false;
      }
      nodes_relisted_.clear();
      nodes_synced_ = true;
      for (auto& [name, n] : nodes_) reconcile_node(name, out);
      if (!heartbeat_started_) {
        heartbeat_started_ = true;
        heartbeat(out);
        report();
      }
      if (ready()) reconcile_everything(out);
      return;
    case kind::apply:
    case kind::remove: {
      auto it = nodes_.find(k8s::name(e.object));
      if (it == nodes_.end()) return;
      node_state& n = it->second;
      const bool was_marked = n.marked_not_ready;
      if (e.type == kind::remove) {
        spdlog::warn("node {} was deleted; registering it again", n.params.name);
        n.exists = false;
        n.uid.clear();
        n.resource_version = 0;
        n.status = nlohmann::json::object();
      } else if (resource_version_number(e.object) >= n.resource_version) {
        observe_node(n, e.object);
      }
      reconcile_node(n.params.name, out);
      if (!ready()) return;
      if (was_marked != n.marked_not_ready)
        for (const auto& [uid, v] : pods_)
          if (v.node_name == n.params.name) reconcile_pod(uid, out);
      schedule_soon();
      return;
    }
  }
}

void engine::schedule_soon() {
  if (schedule_pending_) return;
  schedule_pending_ = true;
  // A pass looks at every pod: at thousands of pods, one per event would cost more than all
  // else the simulator does. So passes are 10 ms apart, and at tens of thousands of pods,
  // where a pass itself takes milliseconds, nine times its length apart: scheduling takes at
  // most a tenth of the simulator's time, and a pass binds every pod that waited meanwhile.
  const auto gap =
      std::max<std::chrono::steady_clock::duration>(std::chrono::milliseconds(10), 9 * last_pass_);
  after(std::chrono::duration_cast<std::chrono::milliseconds>(gap), [this](actions& out) {
    schedule_pending_ = false;
    schedule(out);
  });
}

void engine::report() {
  after(std::chrono::duration_cast<std::chrono::milliseconds>(options_.report_every),
        [this](actions&) {
          const double seconds = static_cast<double>(options_.report_every.count());
          if (binds_ || starts_)
            spdlog::info(
                "rate: {:.1f} pods bound and {:.1f} started per second; {} pods known; {} "
                "scheduling passes, {} ms in all",
                static_cast<double>(binds_) / seconds, static_cast<double>(starts_) / seconds,
                pods_.size(), passes_,
                std::chrono::duration_cast<std::chrono::milliseconds>(pass_time_).count());
          binds_ = starts_ = passes_ = 0;
          pass_time_ = {};
          report();
        });
}

void engine::reconcile_everything(actions& out) {
  std::vector<std::string> uids;
  for (const auto& [uid, v] : pods_) uids.push_back(uid);
  for (const auto& uid : uids) reconcile_pod(uid, out);
  schedule(out);
}

}  // namespace kubelet_sim
