#pragma once
// The state of a RayCluster actor, shared by its behaviour (raycluster_actor.cpp), its
// reconcile (raycluster_reconcile.cpp) and the writes of its children and status
// (raycluster_writes.cpp).

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "actors/raycluster_actor.hpp"
#include "ray/status.hpp"
#include "ray/validation.hpp"
#include "ray/workloads.hpp"

namespace actors {

// What the actor derives from one version of its RayCluster's spec, kept until the spec
// changes (a status write or a pod event does not rebuild it).
struct derived_view {
  raycluster_ptr source;  // the stored version last looked at
  int64_t generation = -1;
  nlohmann::json metadata_seen;  // labels and annotations it was built from
  std::vector<ray::spec_problem> problems;
  std::string unacted;  // ray::unacted_fields, joined
  bool tls = false;     // tlsOptions enabled
  struct child {
    std::string kind;
    std::string name;
    std::string hash;  // the desired spec hash; the object itself is rebuilt for a write
    // A worker workload's replicas as the operator wants them, -1 for other children. Its
    // replicas are then kept there: `kubectl scale` on a group the operator scales is undone.
    int64_t replicas = -1;
    // A workload an HPA scales: its replicas are the HPA's, set only while they are 0 (where
    // an HPA does not act), as when the group comes back from suspension.
    bool hpa_scaled = false;
  };
  std::vector<child> children;  // in the order they are created
  std::string head_service;     // its name: the user's headService name, or C-head-svc
  std::vector<group_spec> groups;
  ray::spec_hashes hashes;                                // of the stored spec (ray/updates.hpp)
  std::map<std::string, ray::workload_kind> group_kinds;  // by group
  std::map<std::string, std::string> workload_groups;     // Deployment/StatefulSet/HPA -> group
  // tlsOptions: the IPs the head's and the workers' Certificates name, from the observed pods
  // (kept current by every reconcile, with the two Certificates' hashes).
  std::vector<std::string> tls_head_ips, tls_worker_ips;
  ray::upgrade_type head_upgrade = ray::upgrade_type::none;
};

// What this reconcile does about outdated pods (raycluster_updates.cpp).
struct update_plan {
  std::string recreate_to;    // a Recreate round towards this cluster hash, or none
  bool head_current = false;  // the head pod runs the current spec and is ready
};

// The ledger's keys of the RayCluster's own writes other than its children.
constexpr const char* finalizer_key = "finalizer";
constexpr const char* redis_key = "redis-cleanup";

enum class redis_cleanup_state { pending, done, abandoned };

struct cluster_state {
  static inline const char* name = "raycluster";
  cluster_key key;
  uint64_t incarnation = 0;
  caf::actor supervisor;
  api_port* port = nullptr;
  raycluster_options options;

  raycluster_ptr stored;  // the RayCluster as last seen; null until it arrives
  // with_defaults(*stored), while a reconcile uses it (see `defaulted`).
  std::optional<nlohmann::json> defaulted;
  raycluster_ptr defaulted_from;
  std::map<std::string, pod_ptr> pods;
  std::map<std::string, child_ptr> children;  // by child_key(kind, name)
  derived_view derived;

  write_ledger ledger;  // "Kind/name" per child (writes, and reads after a 409), "status",
                        // "defaults"
  std::map<uint64_t, write_request> event_writes;  // Events in flight, for the recorder
  uint64_t next_ticket = 1;
  event_recorder recorder;
  std::optional<wakeup> wake;

  std::string last_problems;               // the summary last reported as invalid
  std::string last_unacted;                // the KubeRay fields last reported as not acted on
  std::set<std::string> foreign_reported;  // "Kind/name@uid" recorded as not ours
  std::map<std::string, std::pair<std::string, std::string>> group_failures;  // reason, message
  std::optional<nlohmann::json> last_written_status;  // until the watch shows it
  uint64_t status_inputs = 0;  // a digest of what the status was last computed from; 0: none
  std::optional<api_port::clock::time_point> status_written_at;
  std::chrono::milliseconds status_pacing{0};       // the wait after a write (status_interval_max)
  bool status_held = false;                         // a change waits for the interval to end
  uint64_t status_held_inputs = 0;                  // what the held status was computed from
  api_port::clock::time_point status_changed_at{};  // when its inputs last changed
  std::string defaults_written_rv;                  // the version our defaults write produced
  std::string recreate_round;  // the cluster hash a Recreate round replaces pods towards
  std::set<std::string> update_deleted_uids;  // pods an update deleted (never deleted twice)
  std::map<std::string, std::string> delete_reasons;  // child key -> why, for its Event

  // Deletion with GCS state in Redis (raycluster_deletion.cpp).
  std::optional<api_port::clock::time_point> deletion_deadline;  // the finalizer goes then
  redis_cleanup_state redis_cleanup = redis_cleanup_state::pending;
  std::string finalizers_written_on;  // the version our last finalizer write was made on

  std::map<std::string, worker_group_actor> groups;
  std::map<std::string, std::string> sent_group_specs;  // a fingerprint of what each got last

  bool healthy_reported = false;
  bool metrics_seen = false;  // kuberay_cluster_info reported
  std::optional<bool> reported_provisioned;
};

using cluster_self = raycluster_actor::stateful_pointer<cluster_state>;

inline caf::actor handle(cluster_self self) {
  return caf::actor_cast<caf::actor>(self);
}

// Every write of the cluster's goes through here: it is of the cluster's flow, which the client
// serves in turn with other clusters' when requests wait (fair turns), and its answer comes back
// to this actor under the ticket.
inline void send_write(cluster_self self, write_request w, uint64_t ticket) {
  w.flow = self->state.key.str();
  self->state.port->write(std::move(w), handle(self), ticket);
}

// The RayCluster with its defaults (ray::with_defaults), for a spec without problems: built when
// a reconcile first needs it and dropped when the reconcile ends (`release_defaulted`). Kept, it
// would be one of the largest things an idle cluster holds; rebuilt, it costs a reconcile a
// fraction of a millisecond.
const nlohmann::json& defaulted(cluster_state& st);
inline void release_defaulted(cluster_state& st) {
  st.defaulted.reset();
  st.defaulted_from.reset();
}

// raycluster_reconcile.cpp
outcome reconcile(cluster_self self);
nlohmann::json involved_object(const nlohmann::json& raycluster);
void record(cluster_self self, const std::string& type, const std::string& reason,
            const std::string& message);

// raycluster_deletion.cpp: the finalizer of a cluster whose GCS state is in Redis, added before
// any child (`waiting` until it is); a deletion's steps; the results of its writes.
outcome ensure_finalizer(cluster_self self, bool& waiting);
outcome reconcile_deletion(cluster_self self);
bool on_redis_cleaned(cluster_self self, uint64_t ticket, write_result& r);
bool on_finalizer_written(cluster_self self, uint64_t ticket, write_result& r);

// raycluster_updates.cpp
update_plan plan_updates(cluster_self self);
// Deletes the head pod when the strategy replaces it (its StatefulSet makes the new one).
outcome ensure_head_update(cluster_self self, const update_plan& plan);
// Testing only (--fault-injection): the extra env var a "different operator build" derives.
// `rehash`: the object's spec hash is of the derived object (not of what the user wrote).
void add_test_env(nlohmann::json& object, const raycluster_options& options, bool rehash);

// raycluster_reconcile.cpp: clamp(replicas) x numOfHosts, 0 when suspended.
int64_t group_desired_pods(const nlohmann::json& defaulted, const nlohmann::json& group);

// tlsOptions: the pods' IPs into the derived Certificates; whether they changed.
bool refresh_tls_ips(cluster_state& st);
// cert-manager's kinds, written when tlsOptions asks for them.
extern const k8s::resource cert_manager_issuers;
extern const k8s::resource cert_manager_certificates;

// raycluster_writes.cpp: a merge patch of the RayCluster itself (or of a subresource of it).
write_request raycluster_patch(const cluster_state& st, nlohmann::json body, std::string reason,
                               std::string subresource = {});
// Each returns what its step needs next.
// The resource a child kind is written through; null for a kind that is not a child.
const k8s::resource* resource_of(const raycluster_options& options, const std::string& kind);
outcome ensure_child(cluster_self self, const derived_view::child& desired,
                     ray::child_status& status);
outcome ensure_defaults(cluster_self self, bool& waiting);
outcome write_status(cluster_self self, std::vector<ray::child_status> children);
// A reply to a write or read this actor made; whether a reconcile should follow (an Event's
// does not).
bool on_written(cluster_self self, uint64_t ticket, write_result& r);

}  // namespace actors
