#pragma once
// The supervisor keeps the reflector stores of every child kind (child_cache.hpp), routes the
// watches' events to the RayCluster actors, and spawns, monitors and restarts those actors:
// with exponential backoff, an Event each time, and a fresh backoff for an actor that ran well
// for a while. A failing cluster never affects another: each has its own actor, mailbox and
// restart budget. Actors are spawned only once every store has had its first list, and each is
// seeded from the stores.

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "actors/api_port.hpp"
#include "actors/protocol.hpp"
#include "actors/raycluster_actor.hpp"

namespace actors {

// Read from outside the actor system (metrics, /healthz) without asking the actor anything.
struct supervisor_health {
  std::atomic<uint64_t> clusters{0};
  std::atomic<uint64_t> pods{0};
  std::atomic<int64_t> heartbeat_ns{0};  // steady clock: the supervisor last ran then
  std::atomic<bool> started{false};      // the stores are synced and the actors run
};

struct supervisor_options {
  std::chrono::milliseconds restart_backoff_initial{200};
  std::chrono::milliseconds restart_backoff_max{60'000};
  // An actor that has reconciled well for this long starts its restart backoff afresh.
  std::chrono::seconds healthy_period{60};
  std::chrono::milliseconds heartbeat{1'000};
  raycluster_options cluster;
  // Watched child kinds besides Pods, and the watch scopes ({""}: every namespace).
  std::vector<std::string> child_kinds{"Service",
                                       "StatefulSet",
                                       "Deployment",
                                       "ServiceAccount",
                                       "Role",
                                       "RoleBinding",
                                       "HorizontalPodAutoscaler",
                                       "PersistentVolumeClaim",
                                       "Ingress",
                                       "NetworkPolicy",
                                       "Secret"};
  std::vector<std::string> scopes{""};
  std::shared_ptr<supervisor_health> health = std::make_shared<supervisor_health>();
};

cluster_supervisor_actor spawn_cluster_supervisor(caf::actor_system& sys, api_port* port,
                                                  supervisor_options options = {});

}  // namespace actors
