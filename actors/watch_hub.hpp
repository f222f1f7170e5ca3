#pragma once
// The operator's watches: RayClusters, and its children by their ray.io/cluster label. Each
// watch runs on its own thread; events are reduced there (a Pod becomes a few hundred bytes)
// and sent to the cluster supervisor, which routes them by namespace and name. The hub is a
// plain object rather than an actor: its only state is the watchers themselves and the
// snapshot of a RayCluster list in progress, touched by one watcher thread.

#include <atomic>
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
  watch_hub(k8s::client& api, cluster_supervisor_actor supervisor,
            std::vector<std::string> namespaces);
  ~watch_hub();
  void start();
  void stop();
  bool synced() const;  // every watch has completed its first list
  uint64_t relists() const;
  uint64_t watch_restarts() const;
  uint64_t pods() const { return *pods_; }  // pods of RayClusters currently seen

 private:
  void add_raycluster_watch(const std::string& ns);
  void add_child_watch(const k8s::resource& type, const std::string& ns);

  k8s::client& api_;
  cluster_supervisor_actor supervisor_;
  std::vector<std::string> namespaces_;
  std::shared_ptr<std::atomic<uint64_t>> pods_ = std::make_shared<std::atomic<uint64_t>>(0);
  std::vector<std::unique_ptr<k8s::watcher>> watchers_;
};

}  // namespace actors
