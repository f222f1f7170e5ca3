#pragma once
// The simulator's single decision-maker: the scheduler and the kubelets of every simulated
// node. Watch events, write replies and timers all enter through locked(): the state below
// changes under one mutex, the decisions come out as actions (API calls), and the actions run
// after the mutex is released, so no lock is held across a call and no watcher thread waits on
// the network. At most one write per pod or node is in flight; its reply looks at the object
// again, which is how changes that arrived meanwhile are caught up on.

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "k8s/client.hpp"
#include "k8s/scheduler.hpp"
#include "k8s/watcher.hpp"
#include "sandbox/kubelet_sim/addressing.hpp"
#include "sandbox/kubelet_sim/node_status.hpp"
#include "sandbox/kubelet_sim/pod_view.hpp"

namespace kubelet_sim {

struct sim_options {
  int nodes = 3;
  std::string node_cpu = "8";  // canonical quantity text
  std::string node_memory = "32Gi";
  int64_t node_pods = 110;
  int64_t node_gpu = 0;
  std::string node_prefix = "sim-node-";
  std::chrono::milliseconds start_delay{500};
  std::chrono::seconds heartbeat{10};
  // How often the simulator logs what it did (binds, pods started), when it did anything.
  std::chrono::seconds report_every{10};
};

class engine {
 public:
  engine(k8s::config cfg, sim_options options);
  ~engine();
  engine(const engine&) = delete;
  engine& operator=(const engine&) = delete;

  // Waits for the API server to answer (retrying until `stop_requested()`), then registers the
  // nodes and starts watching. False when stopped first.
  bool start(const std::function<bool()>& stop_requested);
  // Stops watchers and timers; returns once no action runs any more. Idempotent.
  void stop();

 private:
  using actions = std::vector<std::function<void()>>;
  using reply_handler = std::function<void(k8s::result<nlohmann::json>&, actions&)>;

  struct pod_runtime {
    std::string assumed_node;  // bound by us, not yet seen so in a watch event
    bool busy = false;         // a write is in flight; its reply reconciles the pod again
    bool timer_set = false;
    bool start_due = false;  // the start delay has passed: the pod may run
    bool delete_sent = false;
    std::string pod_ip;
    std::optional<int> applied_fail;
    std::vector<std::string> warned_invalid;
    nlohmann::json last_patch;  // the last status patch written, and the version it made
    uint64_t last_patch_version = 0;
    bool warned_no_effect = false;
    // The server refused to bind it or write its status (403: its namespace is terminating):
    // nothing is retried for it; its deletion follows.
    bool refused = false;
  };

  struct node_state {
    node_params params;
    bool exists = false;  // seen in the node watch (or created by us)
    std::string uid;
    uint64_t resource_version = 0;
    nlohmann::json status = nlohmann::json::object();
    nlohmann::json labels = nlohmann::json::object();
    bool marked_not_ready = false;
    bool unschedulable = false;
    bool busy = false;  // a create or write is in flight
  };

  // plumbing (engine.cpp)
  void locked(const std::function<void(actions&)>& f);
  k8s::client::json_callback on_reply(reply_handler f);
  void after(std::chrono::milliseconds delay, std::function<void(actions&)> f);
  bool ready() const { return pods_synced_ && nodes_synced_; }
  void on_pod_event(k8s::watcher_event e, actions& out);
  void on_node_event(k8s::watcher_event e, actions& out);
  void reconcile_everything(actions& out);
  pod_runtime& runtime_for(const pod_view& v);

  // pods (engine_pods.cpp)
  void reconcile_pod(const std::string& uid, actions& out);
  void handle_deletion(pod_view& v, pod_runtime& rt, const std::string& node, actions& out);
  void schedule(actions& out);
  // A scheduling pass soon: the events of a burst share one pass over the pods.
  void schedule_soon();
  void report();
  void bind(pod_view& v, pod_runtime& rt, const std::string& node, actions& out);
  // False when it wrote nothing (see the guard inside).
  bool write_pod_status(const pod_view& v, nlohmann::json patch, std::function<void()> on_ok,
                        actions& out);
  void absorb_pod(const nlohmann::json& pod);

  // nodes (engine_nodes.cpp)
  void observe_node(node_state& n, const nlohmann::json& node);
  bool schedulable(const node_state& n) const;
  void reconcile_node(const std::string& name, actions& out);
  void heartbeat(actions& out);
  void write_node_status(node_state& n, actions& out);
  void renew_lease(const node_state& n, actions& out);

  sim_options options_;
  mutable std::mutex mutex_;
  bool stopping_ = false;
  std::atomic<int> running_actions_{0};
  bool pods_synced_ = false;
  bool nodes_synced_ = false;
  bool heartbeat_started_ = false;
  bool schedule_pending_ = false;
  std::chrono::steady_clock::duration last_pass_{};  // how long the last scheduling pass took
  uint64_t binds_ = 0, starts_ = 0, passes_ = 0;     // since the last report
  std::chrono::steady_clock::duration pass_time_{};  // and the passes' time
  std::map<std::string, pod_view> pods_;             // by uid
  std::map<std::string, pod_view> pods_relisted_;
  std::map<std::string, pod_runtime> runtime_;  // by uid; outlives relists
  std::map<std::string, node_state> nodes_;     // ours only, by name
  std::map<std::string, nlohmann::json> nodes_relisted_;
  ip_pool ips_;
  std::string kubelet_version_ = "v0.0.0-sim";

  // Declared last: destroyed first, while the state their callbacks touch still exists.
  k8s::scheduler timers_;
  k8s::client api_;
  std::unique_ptr<k8s::watcher> node_watch_;
  std::unique_ptr<k8s::watcher> pod_watch_;
};

// 404 and 409: the object is gone or is another incarnation now; nothing to do about it.
bool vanished(const k8s::api_error& e);
// 403: the server will not take this write for the pod (its namespace is terminating); asking
// again would only be refused again, as a livelock of retries once was.
bool refused(const k8s::api_error& e);

}  // namespace kubelet_sim
