#pragma once
// One RayCluster. It owns everything observed about its cluster (pods, services, the head
// StatefulSet, RBAC objects), decides what to write, and owns one worker_group_actor per group.
// Reconciling is level-triggered: every trigger (a spec change, a child event, the periodic
// resync) is debounced into one reconcile that compares desired with observed.

#include "actors/protocol.hpp"

namespace actors {

class operator_metrics;

struct raycluster_options {
  std::chrono::milliseconds debounce{50};
  std::chrono::seconds resync_period{300};
  // Testing only: the annotation ray-operator.dev/fail-reconcile=true makes reconcile throw, to
  // exercise the supervisor's containment and restarts end to end.
  bool fault_injection = false;
  operator_metrics* metrics = nullptr;  // may be null (tests)
};

raycluster_actor spawn_raycluster(caf::local_actor* parent, cluster_key key,
                                  api_writer_actor writer, k8s::client* api,
                                  raycluster_options options = {});

}  // namespace actors
