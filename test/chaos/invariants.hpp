#pragma once
// What must hold of an operator's work while the control plane misbehaves, judged from the
// outside: from the RayClusters and pods a watch of the API server shows (never from the
// operator's own account), and from what the test itself did (the pods it asked to fail, the
// faults it injected). Pure: fed observations with their times, it keeps the verdicts.
//
// The invariants (docs/reliability.md):
//   1. no pod deleted that was neither named in workersToDelete, nor surplus with autoscaling
//      off, nor failed, nor outdated under a strategy that replaces, nor of a cluster or group
//      going away (suspended, deleted, removed from the spec);
//   2. no worker pod created while its group already had what it wants (clamp(replicas), the
//      most it wanted over the last `create_grace`, plus the strategy's surge; pods named in
//      workersToDelete do not count) — this is also "no replacement for a pod deleted on
//      request";
//   3. no worker pod name created twice;
//   4. a cluster's status says what its pods are (counts, desired, generation) within
//      `status_deadline` of the pods settling or the last fault ending, whichever is later;
//   5. after the last fault, every cluster converges within `converge_deadline`
//      (`expect_convergence`); clusters labelled broken are expected not to, and never hold
//      the others back.

#include <deque>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "ray/observed.hpp"
#include "ray/updates.hpp"

namespace chaos {

// A cluster labelled so is invalid on purpose: it must not converge, and must not matter.
constexpr const char* broken_label = "chaos.ray-operator.dev/broken";

struct checker_options {
  double create_grace = 3.0;
  // The pod and RayCluster watches are two streams: a pod the operator made or deleted in
  // answer to a spec change can be seen before that change is. A creation or deletion that
  // looks wrong is judged again this long after it was seen, against the RayClusters as shown
  // by then (0: judged at once, as the unit tests do).
  double watch_skew = 0;
  double status_deadline = 5.0;
  double converge_deadline = 10.0;
};

struct violation {
  double at = 0;  // seconds since the epoch
  std::string cluster;
  std::string kind;  // "deleted", "created beyond desired", "name reused", "status", "converge"
  std::string message;
};

class invariants {
 public:
  explicit invariants(checker_options options = {}) : options_(options) {}

  // What a watch showed, at `now` (seconds since the epoch).
  void raycluster(const nlohmann::json& object, double now);
  void raycluster_removed(const std::string& ns, const std::string& name, double now);
  void pod(const nlohmann::json& object, double now);
  void pod_removed(const std::string& ns, const std::string& name, double now);
  // A relist: everything not in it was removed meanwhile. One namespace is watched.
  void pods_relisted(const std::vector<nlohmann::json>& all, double now);
  void rayclusters_relisted(const std::vector<nlohmann::json>& all, double now);

  // What the test did: a pod it made fail; a fault that began, or ended at `end`. While a fault
  // lasts, the status and convergence are not judged (the operator may not be able to write).
  void failure_requested(const std::string& ns, const std::string& name);
  void fault_started();
  void fault_ended(double end);
  // Every cluster must converge by `from` + converge_deadline (from: the last fault's end).
  void expect_convergence(double from);

  // The checks that depend on time (4 and 5), and the held judgments that are due; every
  // second or so.
  void tick(double now);
  // Every held judgment, now (the end of a run).
  void flush();

  bool all_converged() const;
  // The soak's driver picks its pods and groups here: live workers (running or not, not named
  // in workersToDelete) of a cluster's group, and the clusters with their groups' desired.
  std::vector<std::string> live_workers(const std::string& cluster, const std::string& group) const;
  std::map<std::string, std::map<std::string, int64_t>> desired() const;  // ns/name -> group
  bool exists(const std::string& ns, const std::string& pod) const;       // and not going
  const std::vector<violation>& violations() const { return violations_; }
  int64_t checks() const { return checks_; }
  // Everything above, with the figures (checks run, convergence times, deletions by reason).
  nlohmann::json report(double now) const;

 private:
  struct group_view {
    int64_t desired = 0;
    bool autoscaling = false;
    int64_t surge = 0;
    ray::upgrade_type strategy = ray::upgrade_type::none;
    std::string hash;
    std::set<std::string> to_delete;                         // workersToDelete now
    std::set<std::string> named_ever;                        // every name it ever held
    std::deque<std::pair<double, int64_t>> desired_history;  // (since, desired), recent
  };
  struct cluster_view {
    std::string ns, name;
    bool broken = false;
    bool going = false;  // deleted, or being deleted
    bool suspended = false;
    int64_t generation = 0;
    std::string cluster_hash, head_hash;
    ray::upgrade_type head_strategy = ray::upgrade_type::none;
    std::map<std::string, group_view> groups;
    nlohmann::json status;
    // Time checks.
    std::string counts;  // what the pods say, as a key: when it changes, the pods moved
    double counts_changed_at = 0;
    double status_bad_since = -1;  // the status disagrees with settled pods since
    double converged_since = -1;
    std::string not_converged;  // why, when it is not
  };
  struct pod_view {
    ray::observed_pod pod;
    std::string cluster;  // ns/name
    std::string ns;
    double first_seen = 0;
  };

  // A creation or deletion as seen, with what was around it then, to be judged again.
  struct held_judgment {
    bool creation = false;
    pod_view p;
    double at = 0;
    std::vector<std::string> others;  // creation: the group's other live workers
    int64_t live_count = 0;           // deletion: the group's live workers, this one included
  };

  cluster_view* cluster_of(const std::string& key);  // ns/name
  void judge_creation(const pod_view& p, double now);
  void judge_deletion(const pod_view& p, double now);
  void judge_held(double now);
  // Why a creation breaks invariant 2 with the spec as known now and its desired counts up to
  // `until`; none when it does not. Why a deletion was allowed ("" when it was not).
  std::optional<std::string> creation_gap(const held_judgment& h, double until) const;
  std::string deletion_reason(const held_judgment& h, double until) const;
  void count_deletion(const held_judgment& h, std::string reason);
  void record(double at, const std::string& cluster, const std::string& kind, std::string message);
  int64_t desired_between(const group_view& g, double from, double to, bool most) const;
  std::string settled_counts(const cluster_view& c) const;
  std::string convergence_gap(const cluster_view& c) const;
  std::string status_gap(const cluster_view& c) const;

  checker_options options_;
  std::map<std::string, cluster_view> clusters_;  // by ns/name
  std::map<std::string, pod_view> pods_;          // by ns/name
  std::set<std::string> worker_names_seen_;       // ns/name of every worker pod ever seen
  std::set<std::string> failures_requested_;      // ns/name
  std::vector<violation> violations_;
  int64_t checks_ = 0;
  double last_fault_end_ = 0;
  bool fault_active_ = false;
  std::optional<double> expected_from_;
  std::vector<double> convergence_times_;
  std::map<std::string, int64_t> deletions_;  // by reason
  std::deque<held_judgment> held_;            // in the order seen
  int64_t creations_ = 0;
};

}  // namespace chaos
