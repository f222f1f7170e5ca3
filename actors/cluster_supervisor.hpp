#pragma once
// Spawns one RayCluster actor per RayCluster, routes watch events to it, and restarts it with
// exponential backoff when it fails — recording an Event each time. A failing cluster never
// affects another: each has its own actor, mailbox and restart budget.

#include <atomic>

#include "actors/protocol.hpp"
#include "actors/raycluster_actor.hpp"

namespace actors {

struct supervisor_options {
  std::chrono::milliseconds restart_backoff_initial{200};
  std::chrono::milliseconds restart_backoff_max{60'000};
  raycluster_options cluster;
  // The number of RayClusters managed, readable from outside the actor system (metrics).
  std::shared_ptr<std::atomic<uint64_t>> managed = std::make_shared<std::atomic<uint64_t>>(0);
};

cluster_supervisor_actor spawn_cluster_supervisor(caf::actor_system& sys, api_writer_actor writer,
                                                  k8s::client* api,
                                                  supervisor_options options = {});

}  // namespace actors
