#pragma once
// The state of a RayCluster actor, shared by its behaviour (raycluster_actor.cpp) and its
// reconcile steps (raycluster_reconcile.cpp).

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "actors/protocol.hpp"
#include "actors/raycluster_actor.hpp"

namespace actors {

struct cluster_state {
  static inline const char* name = "raycluster";
  cluster_key key;
  api_writer_actor writer;
  k8s::client* api = nullptr;
  raycluster_options options;

  nlohmann::json stored;  // the RayCluster as last seen; null until the first one arrives
  std::map<std::string, ray::observed_pod> pods;
  std::map<std::string, observed_child> children;  // by child_key(kind, name)

  // Listing our children (at start, and after a watch relisted): events that arrive meanwhile
  // are kept and replayed over the list when they are newer.
  bool synced = false;
  uint64_t list_id = 0;
  struct buffered_event {
    bool is_pod;
    bool removed;
    ray::observed_pod pod;
    observed_child child;
  };
  std::vector<buffered_event> buffered;

  // Writes in flight, so a reconcile that runs before the watch reflects them does not repeat
  // them.
  std::set<std::string> child_writes;
  bool status_write = false;
  bool defaults_write = false;
  std::string defaults_tried_at_rv;
  std::optional<nlohmann::json> last_written_status;
  std::string last_problems;  // the summary last reported, so a Warning is not repeated

  std::map<std::string, worker_group_actor> groups;
  std::map<std::string, nlohmann::json> sent_group_specs;  // last sent, to skip unchanged ones

  bool reconcile_scheduled = false;
  bool metrics_seen = false;  // kuberay_cluster_info reported
  std::optional<bool> reported_provisioned;
};

using cluster_self = raycluster_actor::stateful_pointer<cluster_state>;

// raycluster_reconcile.cpp
void reconcile(cluster_self self);
nlohmann::json involved_object(const nlohmann::json& raycluster);

}  // namespace actors
