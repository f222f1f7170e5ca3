#pragma once
// Every message of the operator's actors, in one place, so the protocol reads top to bottom:
//
//   watchers ──► watch_hub ──► cluster_supervisor ──► raycluster_actor ──► worker_group_actor
//                                                          │                     │
//                                                          └──────► api_writer ◄─┘ ──► API server
//
// Messages carry small reduced structs (ray::observed_pod …) rather than whole objects; only a
// RayCluster travels as JSON, because its spec is the input of everything.

#include <caf/all.hpp>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "k8s/client.hpp"
#include "k8s/error.hpp"
#include "k8s/resource.hpp"
#include "ray/observed.hpp"

namespace actors {

// ---- atoms (CAF 0.17: at most 10 characters) ----
using apply_atom = caf::atom_constant<caf::atom("apply")>;
using remove_atom = caf::atom_constant<caf::atom("remove")>;
using resync_atom = caf::atom_constant<caf::atom("resync")>;
using reconcile_atom = caf::atom_constant<caf::atom("reconcile")>;
using listed_atom = caf::atom_constant<caf::atom("listed")>;
using written_atom = caf::atom_constant<caf::atom("written")>;
using write_atom = caf::atom_constant<caf::atom("write")>;
using event_atom = caf::atom_constant<caf::atom("event")>;
using spec_atom = caf::atom_constant<caf::atom("spec")>;
using pod_atom = caf::atom_constant<caf::atom("pod")>;
using child_atom = caf::atom_constant<caf::atom("child")>;
using respawn_atom = caf::atom_constant<caf::atom("respawn")>;
using stats_atom = caf::atom_constant<caf::atom("stats")>;
using synced_atom = caf::atom_constant<caf::atom("synced")>;
using ping_atom = caf::atom_constant<caf::atom("ping")>;

// A liveness check from outside the actor system (the /healthz handler): the supervisor
// answers it when it processes the message, proving its mailbox is being served.
struct liveness_probe {
  std::mutex m;
  std::condition_variable cv;
  bool answered = false;
  void answer() {
    std::lock_guard<std::mutex> lock(m);
    answered = true;
    cv.notify_all();
  }
  bool wait(std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(m);
    return cv.wait_for(lock, timeout, [this] { return answered; });
  }
};

// Identifies a RayCluster: namespace and name.
struct cluster_key {
  std::string ns;
  std::string name;
  std::string str() const { return ns + "/" + name; }
  bool operator<(const cluster_key& o) const { return ns < o.ns || (ns == o.ns && name < o.name); }
  bool operator==(const cluster_key& o) const { return ns == o.ns && name == o.name; }
};

// An owned child other than a pod (Service, StatefulSet, RBAC objects), reduced.
struct observed_child {
  std::string kind;  // "Service", "StatefulSet", ...
  std::string name;
  std::string uid;
  std::string resource_version;
  std::string spec_hash;  // our ray.io/desired-spec-hash annotation, "" if absent
  std::string owner_uid;  // uid of the controller ownerReference, "" if none
  bool deleting = false;
  ray::observed_service service;  // for Services
  int64_t replicas = 0;           // StatefulSet spec.replicas
  int64_t ready_replicas = 0;     // StatefulSet status.readyReplicas
};

// A write for the api_writer. `verb` is create, replace, patch or delete.
struct write_request {
  std::string verb;
  k8s::resource type;
  std::string ns;
  std::string name;
  nlohmann::json body;
  k8s::patch_type patch = k8s::patch_type::merge;
  std::string subresource;
  k8s::delete_options delete_opts;
  std::string reason;  // for logs: why this write is made
};

struct write_result {
  std::optional<nlohmann::json> object;  // set on success
  std::optional<k8s::api_error> error;   // set on failure
  bool ok() const { return object.has_value(); }
};

// What a worker-group actor must achieve; sent by its RayCluster actor on every change.
struct group_spec {
  std::string group;
  size_t index = 0;
  int64_t desired = 0;  // clamp(replicas, min, max) x numOfHosts; 0 suspended
  std::vector<std::string> workers_to_delete;  // scaleStrategy.workersToDelete
  bool autoscaling = false;                    // in-tree autoscaling: never delete unnamed pods
  nlohmann::json pod;                          // the desired worker Pod (generateName set)
  nlohmann::json involved;                     // the RayCluster, as an Event's involvedObject
};

// A Kubernetes Event to record on a RayCluster.
struct event_request {
  nlohmann::json involved;  // {apiVersion, kind, name, namespace, uid}
  std::string type;         // Normal or Warning
  std::string reason;       // KubeRay's reason strings where one exists
  std::string message;
};

// Counters the tests and metrics read (debug: steady state makes no writes).
struct writer_stats {
  uint64_t writes = 0;
  uint64_t failures = 0;
  uint64_t events = 0;
};

// ---- actor interfaces ----

// Performs writes (and records events) against the API server; replies when done.
using api_writer_actor =
    caf::typed_actor<caf::replies_to<write_atom, write_request>::with<write_result>,
                     caf::reacts_to<event_atom, event_request>,
                     caf::reacts_to<written_atom, uint64_t, write_result>,  // internal: a write
                                                                            // completed
                     caf::replies_to<stats_atom>::with<writer_stats>>;

// Owns the pods of one worker group.
using worker_group_actor = caf::typed_actor<
    caf::reacts_to<spec_atom, group_spec>, caf::reacts_to<pod_atom, apply_atom, ray::observed_pod>,
    caf::reacts_to<pod_atom, remove_atom, ray::observed_pod>,
    caf::reacts_to<resync_atom, std::vector<ray::observed_pod>>, caf::reacts_to<reconcile_atom>>;

}  // namespace actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(nlohmann::json)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ray::observed_pod)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<ray::observed_pod>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(actors::cluster_key)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(actors::observed_child)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(actors::write_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(actors::write_result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(actors::group_spec)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(actors::event_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(actors::writer_stats)

namespace actors {

// One RayCluster: its children, its status, its worker-group actors.
using raycluster_actor = caf::typed_actor<
    caf::reacts_to<spec_atom, nlohmann::json>,  // the RayCluster as stored, on every change
    caf::reacts_to<pod_atom, apply_atom, ray::observed_pod>,
    caf::reacts_to<pod_atom, remove_atom, ray::observed_pod>,
    caf::reacts_to<child_atom, apply_atom, observed_child>,
    caf::reacts_to<child_atom, remove_atom, observed_child>,
    caf::reacts_to<resync_atom>,  // a watch relisted: list this cluster's children again
    caf::reacts_to<listed_atom, uint64_t, std::vector<ray::observed_pod>,
                   std::vector<observed_child>, std::string>,  // internal: relist result
    caf::reacts_to<reconcile_atom>,
    caf::reacts_to<reconcile_atom, uint64_t>>;  // internal: a debounced reconcile is due

// Routes watch events to RayCluster actors; spawns, monitors and restarts them.
using cluster_supervisor_actor = caf::typed_actor<
    caf::reacts_to<apply_atom, nlohmann::json>,                // a RayCluster was added or changed
    caf::reacts_to<remove_atom, cluster_key>,                  // a RayCluster was deleted
    caf::reacts_to<resync_atom, std::vector<nlohmann::json>>,  // every RayCluster, after a list
    caf::reacts_to<pod_atom, apply_atom, cluster_key, ray::observed_pod>,
    caf::reacts_to<pod_atom, remove_atom, cluster_key, ray::observed_pod>,
    caf::reacts_to<child_atom, apply_atom, cluster_key, observed_child>,
    caf::reacts_to<child_atom, remove_atom, cluster_key, observed_child>,
    caf::reacts_to<resync_atom>,  // a child watch relisted: every cluster lists its children
    caf::reacts_to<respawn_atom, cluster_key, uint64_t>,  // internal: restart after backoff
    caf::reacts_to<ping_atom, std::shared_ptr<liveness_probe>>,
    caf::replies_to<stats_atom>::with<uint64_t>>;  // number of clusters managed

}  // namespace actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<nlohmann::json>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<actors::observed_child>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::shared_ptr<actors::liveness_probe>)
