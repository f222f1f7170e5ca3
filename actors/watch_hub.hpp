#pragma once
// The operator's watches: RayClusters, and the children it created, by their ray.io/cluster
// label. Each watch runs on its own thread; what arrives is reduced there (a Pod becomes a few
// hundred bytes, a RayCluster loses kubectl's last-applied copy; no object arrives with its
// managedFields, which k8s/ parses past) and sent to the supervisor. A (re)list is gathered on
// the watch's thread and sent as one snapshot when it is complete, so the supervisor's store
// for that kind swaps in one step. The hub is a plain object rather than an actor: its only
// state is the watchers and the snapshots in progress, each touched by one watcher thread.

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "actors/protocol.hpp"
#include "k8s/watcher.hpp"

namespace actors {

class watch_hub {
 public:
  // `namespaces` empty: every namespace (one watch per kind); otherwise one watch per kind and
  // namespace.
  // `hpa`: the HorizontalPodAutoscaler version the server serves.
  // `cert_manager`: cert-manager.io/v1 is served, and its Issuers and Certificates are watched.
  watch_hub(k8s::client& api, cluster_supervisor_actor supervisor,
            std::vector<std::string> namespaces, const k8s::resource& hpa,
            k8s::watcher_options options = {}, bool cert_manager = false);
  ~watch_hub();
  void start();
  void stop();
  bool synced() const;  // every watch has completed its first list
  uint64_t relists() const;
  uint64_t watch_restarts() const;
  // A watch whose thread is past the deadline of what it waits for (see watcher::stuck).
  std::string stuck_watch() const;
  struct watch_progress {
    std::string resource;
    std::string scope;
    double seconds_since_last_event;  // -1 before the first
    uint64_t events;                  // added, modified and deleted events since start
  };
  std::vector<watch_progress> progress() const;

 private:
  void add_raycluster_watch(const std::string& ns, const k8s::watcher_options& options);
  void add_child_watch(const k8s::resource& type, const std::string& ns,
                       const k8s::watcher_options& options);

  k8s::client& api_;
  cluster_supervisor_actor supervisor_;
  std::vector<std::unique_ptr<k8s::watcher>> watchers_;
};

// What the operator keeps of a RayCluster as it arrives: everything but kubectl's
// last-applied-configuration copy, which nothing reads (managedFields never get this far).
raycluster_ptr reduce_raycluster(nlohmann::json raycluster);

}  // namespace actors
