#pragma once
// One RayCluster. It owns everything observed about its cluster (pods, services, the head
// StatefulSet, RBAC objects), decides what to write, and owns one worker_group_actor per group.
// Reconciling is level-triggered: every trigger (a spec change, a child event, a write's
// result) brings its one wake-up forward, and the reconcile it runs compares desired with
// observed and returns an outcome that arms the next wake-up (wakeup.hpp). Writes go through a
// ledger (write_ledger.hpp) and Events through an aggregating recorder (event_recorder.hpp).
//
// It starts from a seed out of the supervisor's stores — the RayCluster and every child the
// watches have shown — so a new or restarted actor lists nothing.

#include <vector>

#include "actors/api_port.hpp"
#include "actors/event_recorder.hpp"
#include "actors/protocol.hpp"
#include "actors/wakeup.hpp"
#include "actors/worker_group_actor.hpp"
#include "actors/write_ledger.hpp"

namespace actors {

class operator_metrics;

struct raycluster_options {
  wakeup_policy wake;
  // Status writes of one cluster are at least this far apart: the changes of a burst of pod
  // events (pods starting one after the other) go out together, so the writes a scale-up costs
  // do not grow with how spread out its events are. The first status, and any change of the
  // state or of the Ready, HeadPodReady and ReplicaFailure conditions, are written at once.
  std::chrono::milliseconds status_interval{1'000};
  // While a cluster's status keeps changing, the interval doubles after every write that had to
  // wait for it, up to this: a long scale-up (pods starting over tens of seconds, as when many
  // clusters scale at once) costs a few writes, not one a second. It is back at
  // status_interval once a whole interval passes without a change.
  std::chrono::milliseconds status_interval_max{4'000};
  // A change held for the interval goes out once this long passes without another (and never
  // sooner than status_interval after the last write): the interval batches changes that keep
  // coming, and the status is not left stale for the rest of it once they stop.
  std::chrono::milliseconds status_quiet{1'000};
  ledger_policy ledger;
  // GCS fault tolerance on Redis: the cluster's keys are deleted before the RayCluster goes
  // (raycluster_deletion.cpp). Off, no finalizer is added (one already there is still honoured).
  bool redis_cleanup = true;
  worker_group_options group;
  event_recorder_options events;
  // Testing only: the annotation ray-operator.dev/fail-reconcile=true makes reconcile throw, to
  // exercise the supervisor's containment and restarts.
  bool fault_injection = false;
  // Testing only: an env var ("NAME=value") added to every derived Ray pod, as a newer operator
  // build that derives pods differently would. It must restart nothing (ray/updates.hpp).
  std::string test_pod_env;
  // cert-manager.io/v1 is served: tlsOptions can have its certificates (else it is refused).
  bool cert_manager = false;
  // HorizontalPodAutoscalers are written through the version the server serves (discovery).
  k8s::resource hpa = k8s::resources::horizontalpodautoscalers_v2;
  operator_metrics* metrics = nullptr;  // may be null (tests)
};

struct cluster_seed {
  raycluster_ptr stored;
  std::vector<pod_ptr> pods;
  std::vector<child_ptr> children;
};

// `supervisor` hears (healthy_atom, key, incarnation) after the actor's first good reconcile.
raycluster_actor spawn_raycluster(caf::local_actor* parent, caf::actor supervisor, cluster_key key,
                                  uint64_t incarnation, api_port* port, cluster_seed seed,
                                  raycluster_options options = {});

}  // namespace actors
