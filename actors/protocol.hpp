#pragma once
// Every message of the operator's actors, in one place, so the protocol reads top to bottom:
//
//   watchers ──► watch_hub ──► cluster_supervisor ──► raycluster_actor ──► worker_group_actor
//               (reduce,        (stores, routing,        │                     │
//                snapshot)       lifecycle)               └──► api_port ◄─────┘ ──► API server
//
// Observed objects travel as shared, immutable, reduced structs (a Pod becomes a few hundred
// bytes): the supervisor's stores and the actors that use them hold the same copy. A RayCluster
// travels as shared JSON, because its spec is the input of everything. Writes leave each actor
// through the port and their results come back to it as `written` messages.

#include <caf/all.hpp>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "k8s/client.hpp"
#include "k8s/error.hpp"
#include "k8s/object_template.hpp"
#include "k8s/resource.hpp"
#include "ray/observed.hpp"
#include "ray/redis_cleanup.hpp"
#include "ray/updates.hpp"

namespace actors {

// ---- atoms (CAF 0.17: at most 10 characters) ----
using apply_atom = caf::atom_constant<caf::atom("apply")>;
using remove_atom = caf::atom_constant<caf::atom("remove")>;
using resync_atom = caf::atom_constant<caf::atom("resync")>;
using written_atom = caf::atom_constant<caf::atom("written")>;
using wake_atom = caf::atom_constant<caf::atom("wake")>;
using event_atom = caf::atom_constant<caf::atom("event")>;
using spec_atom = caf::atom_constant<caf::atom("spec")>;
using pod_atom = caf::atom_constant<caf::atom("pod")>;
using child_atom = caf::atom_constant<caf::atom("child")>;
using group_atom = caf::atom_constant<caf::atom("group")>;
using healthy_atom = caf::atom_constant<caf::atom("healthy")>;
using stats_atom = caf::atom_constant<caf::atom("stats")>;

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
  int64_t replicas = 0;           // StatefulSet and Deployment spec.replicas
  int64_t ready_replicas = 0;     // StatefulSet and Deployment status.readyReplicas
};

using pod_ptr = std::shared_ptr<const ray::observed_pod>;
using child_ptr = std::shared_ptr<const observed_child>;
using raycluster_ptr = std::shared_ptr<const nlohmann::json>;
using keyed_pod = std::pair<cluster_key, pod_ptr>;
using keyed_child = std::pair<cluster_key, child_ptr>;

// A write through the port. `verb` is create, replace, patch or delete.
struct write_request {
  std::string verb;
  k8s::resource type;
  std::string ns;
  std::string name;
  nlohmann::json body;
  // A create's body already serialized (a worker pod from its group's template), sent instead
  // of `body` when not empty.
  std::string text;
  k8s::patch_type patch = k8s::patch_type::merge;
  std::string subresource;
  k8s::delete_options delete_opts;
  std::string reason;  // for logs: why this write is made
  // Whose write it is: the RayCluster's key. The client serves waiting requests a flow at a
  // time, so one cluster's scale-up does not hold another cluster's writes back behind it.
  std::string flow;
};

// What came back: the identity of the object written (or read), or the error.
struct write_result {
  std::optional<k8s::api_error> error;
  std::string name;
  std::string uid;
  std::string resource_version;
  child_ptr child;      // a read of a child: the object, reduced
  int64_t deleted = 0;  // a Redis cleanup: the keys it deleted

  bool ok() const { return !error; }
  // No definite answer: the write may or may not have taken effect (a timeout, a cut
  // connection, a 5xx). Only the watch, or a read, can tell.
  bool ambiguous() const;
};

// The deletion of a RayCluster's GCS state from Redis; the plan's Secrets are read from `ns`.
struct redis_cleanup_request {
  std::string ns;
  ray::redis_cleanup_plan plan;
};

// What a worker-group actor must achieve; sent by its RayCluster actor whenever it changes.
struct group_spec {
  std::string group;
  std::string ns;
  std::string flow;     // the cluster's key: the flow of the group's writes (write_request)
  int64_t desired = 0;  // clamp(replicas, min, max) x numOfHosts; 0 suspended
  std::vector<std::string> workers_to_delete;  // scaleStrategy.workersToDelete
  bool autoscaling = false;                    // in-tree autoscaling: never delete unnamed pods
  // The desired worker Pod, as text (generateName its names' prefix); null for a group removed
  // from the spec.
  std::shared_ptr<const k8s::object_template> pod;
  // Updates (ray/updates.hpp). A pod is outdated when its group hash is not `group_hash`;
  // during a Recreate round, when its cluster hash is not `recreate_to`.
  std::string group_hash;
  std::string recreate_to;  // non-empty: a Recreate round towards this cluster hash
  ray::upgrade_strategy strategy;
  bool head_current = false;  // RollingUpdate: the head runs the current spec and is ready
};

// A Kubernetes Event about the RayCluster, from one of its worker groups.
struct event_request {
  std::string type;    // Normal or Warning
  std::string reason;  // KubeRay's reason strings where one exists
  std::string message;
};

// ---- actor interfaces ----

// Owns the pods of one worker group.
using worker_group_actor = caf::typed_actor<
    caf::reacts_to<spec_atom, group_spec>, caf::reacts_to<pod_atom, apply_atom, pod_ptr>,
    caf::reacts_to<pod_atom, remove_atom, pod_ptr>,
    caf::reacts_to<pod_atom, resync_atom, std::vector<pod_ptr>>,
    caf::reacts_to<written_atom, uint64_t, write_result>, caf::reacts_to<wake_atom, uint64_t>>;

// One RayCluster: its children, its status, its worker-group actors.
using raycluster_actor = caf::typed_actor<
    caf::reacts_to<spec_atom, raycluster_ptr>,  // the RayCluster as stored, on every change
    caf::reacts_to<pod_atom, apply_atom, pod_ptr>, caf::reacts_to<pod_atom, remove_atom, pod_ptr>,
    caf::reacts_to<pod_atom, resync_atom, std::vector<pod_ptr>>,  // after a relist: all of them
    caf::reacts_to<child_atom, apply_atom, child_ptr>,
    caf::reacts_to<child_atom, remove_atom, child_ptr>,
    caf::reacts_to<child_atom, resync_atom, std::string, std::vector<child_ptr>>,  // one kind
    caf::reacts_to<written_atom, uint64_t, write_result>, caf::reacts_to<wake_atom, uint64_t>,
    caf::reacts_to<event_atom, event_request>,  // from a worker group
    // A worker group's create failure (reason, message), both empty once it recovers.
    caf::reacts_to<group_atom, std::string, std::string, std::string>>;

// Keeps the stores of observed children, routes events to RayCluster actors, and spawns,
// monitors and restarts them.
using cluster_supervisor_actor = caf::typed_actor<
    caf::reacts_to<apply_atom, raycluster_ptr>,  // a RayCluster was added or changed
    caf::reacts_to<remove_atom, cluster_key>,    // a RayCluster was deleted
    // Every RayCluster of a watch scope (a namespace, or "" for all), after a (re)list.
    caf::reacts_to<resync_atom, std::string, std::vector<raycluster_ptr>>,
    caf::reacts_to<pod_atom, apply_atom, cluster_key, pod_ptr>,
    caf::reacts_to<pod_atom, remove_atom, cluster_key, pod_ptr>,
    caf::reacts_to<pod_atom, resync_atom, std::string, std::vector<keyed_pod>>,  // scope, all
    caf::reacts_to<child_atom, apply_atom, cluster_key, child_ptr>,
    caf::reacts_to<child_atom, remove_atom, cluster_key, child_ptr>,
    // kind, scope, every child of that kind in the scope
    caf::reacts_to<child_atom, resync_atom, std::string, std::string, std::vector<keyed_child>>,
    caf::reacts_to<healthy_atom, cluster_key, uint64_t>,  // an actor's first success
    caf::reacts_to<written_atom, uint64_t, write_result>, caf::reacts_to<wake_atom, uint64_t>,
    caf::replies_to<stats_atom>::with<uint64_t>>;  // number of clusters managed

}  // namespace actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(nlohmann::json)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(actors::cluster_key)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(actors::pod_ptr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(actors::child_ptr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(actors::raycluster_ptr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<actors::pod_ptr>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<actors::child_ptr>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<actors::raycluster_ptr>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<actors::keyed_pod>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<actors::keyed_child>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(actors::write_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(actors::write_result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(actors::redis_cleanup_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(actors::group_spec)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(actors::event_request)
