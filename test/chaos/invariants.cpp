#include "test/chaos/invariants.hpp"

#include <algorithm>
#include <limits>
#include <sstream>

#include "k8s/object_meta.hpp"
#include "ray/constants.hpp"
#include "ray/defaults.hpp"

namespace chaos {

namespace {

using nlohmann::json;

std::string key_of(const std::string& ns, const std::string& name) {
  return ns + "/" + name;
}

const json& member(const json& obj, const char* key) {
  static const json absent;
  if (!obj.is_object()) return absent;
  auto it = obj.find(key);
  return it == obj.end() ? absent : *it;
}

int64_t integer(const json& v, int64_t fallback) {
  return v.is_number_integer() ? v.get<int64_t>() : fallback;
}

bool running(const ray::observed_pod& p) {
  return p.phase == "Running";
}
// A pod that counts towards its group: not going, not failed (the operator replaces those).
bool live(const ray::observed_pod& p) {
  return !p.deleting && !ray::should_replace(p);
}

bool ready_condition(const json& status) {
  const json& conditions = member(status, "conditions");
  if (!conditions.is_array()) return false;
  for (const json& c : conditions)
    if (member(c, "type") == "Ready") return member(c, "status") == "True";
  return false;
}

}  // namespace

invariants::cluster_view* invariants::cluster_of(const std::string& key) {
  auto it = clusters_.find(key);
  return it == clusters_.end() ? nullptr : &it->second;
}

void invariants::record(double at, const std::string& cluster, const std::string& kind,
                        std::string message) {
  violations_.push_back({at, cluster, kind, std::move(message)});
}

void invariants::raycluster(const json& object, double now) {
  const std::string ns = k8s::namespace_of(object), name = k8s::name(object);
  auto& c = clusters_[key_of(ns, name)];
  c.ns = ns;
  c.name = name;
  c.broken = k8s::label(object, broken_label).value_or("") == "true";
  c.going = k8s::is_being_deleted(object);
  c.generation = k8s::generation(object);
  c.status = member(object, "status");
  const json& spec = member(object, "spec");
  c.suspended = member(spec, "suspend") == true;
  const auto hashes = ray::user_spec_hashes(object);
  c.cluster_hash = hashes.cluster;
  c.head_hash = hashes.head;
  c.head_strategy = ray::head_upgrade_type(object);
  const bool autoscaling = member(spec, "enableInTreeAutoscaling") == true;
  std::set<std::string> present;
  const json& groups = member(spec, "workerGroupSpecs");
  for (const json& g : groups.is_array() ? groups : json::array()) {
    const std::string group =
        member(g, "groupName").is_string() ? g["groupName"].get<std::string>() : std::string();
    present.insert(group);
    auto& v = c.groups[group];
    const int64_t min = integer(member(g, "minReplicas"), 0);
    const int64_t max = integer(member(g, "maxReplicas"), ray::default_max_replicas);
    const int64_t replicas =
        std::clamp(integer(member(g, "replicas"), min), min, std::max(min, max));
    const bool suspended = c.suspended || member(g, "suspend") == true;
    const int64_t desired = suspended ? 0 : replicas * integer(member(g, "numOfHosts"), 1);
    if (v.desired_history.empty() || v.desired != desired)
      v.desired_history.emplace_back(now, desired);
    v.desired = desired;
    v.autoscaling = autoscaling;
    const auto strategy = ray::group_upgrade_strategy(object, g, desired);
    v.strategy = strategy.type;
    v.surge = strategy.type == ray::upgrade_type::rolling_update ? strategy.max_surge : 0;
    v.hash = hashes.groups.count(group) ? hashes.groups.at(group) : std::string();
    v.to_delete.clear();
    const json& names = member(member(g, "scaleStrategy"), "workersToDelete");
    for (const json& n : names.is_array() ? names : json::array())
      if (n.is_string()) {
        v.to_delete.insert(n.get<std::string>());
        v.named_ever.insert(n.get<std::string>());
      }
  }
  for (auto it = c.groups.begin(); it != c.groups.end();)
    it = present.count(it->first) ? std::next(it) : c.groups.erase(it);
}

void invariants::raycluster_removed(const std::string& ns, const std::string& name, double) {
  if (auto* c = cluster_of(key_of(ns, name))) c->going = true;
}

int64_t invariants::desired_between(const group_view& g, double from, double to, bool most) const {
  // The most (or least) desired count in force at some moment of [from, to].
  std::optional<int64_t> out;
  for (auto it = g.desired_history.rbegin(); it != g.desired_history.rend(); ++it) {
    if (it->first > to) continue;  // came after the window
    out = out ? (most ? std::max(*out, it->second) : std::min(*out, it->second)) : it->second;
    if (it->first <= from) break;
  }
  return out.value_or(g.desired);
}

void invariants::judge_creation(const pod_view& p, double now) {
  if (p.pod.is_head || !live(p.pod)) return;
  ++creations_;
  held_judgment h{true, p, now, {}, 0};
  for (const auto& [key, q] : pods_)
    if (q.cluster == p.cluster && !q.pod.is_head && q.pod.group == p.pod.group &&
        q.pod.name != p.pod.name && live(q.pod))
      h.others.push_back(q.pod.name);
  auto gap = creation_gap(h, now);
  if (!gap) return;
  if (options_.watch_skew > 0) return held_.push_back(std::move(h));
  record(now, p.cluster, "created beyond desired", *gap);
}

std::optional<std::string> invariants::creation_gap(const held_judgment& h, double until) const {
  const pod_view& p = h.p;
  auto it = clusters_.find(p.cluster);
  if (it == clusters_.end() || it->second.going) return std::nullopt;
  auto g = it->second.groups.find(p.pod.group);
  if (g == it->second.groups.end()) return std::nullopt;  // a spec that removed it raced the create
  int64_t others = 0;
  for (const auto& name : h.others) others += !g->second.to_delete.count(name);
  const int64_t allowed =
      desired_between(g->second, h.at - options_.create_grace, until, true) + g->second.surge;
  if (others < allowed) return std::nullopt;
  std::ostringstream m;
  m << "pod " << p.pod.name << " created while group " << p.pod.group << " already had " << others
    << " (it wants " << g->second.desired;
  if (g->second.surge) m << ", " << g->second.surge << " more during a rolling update";
  m << "; pods named in workersToDelete not counted)";
  return m.str();
}

void invariants::judge_deletion(const pod_view& p, double now) {
  held_judgment h{false, p, now, {}, 0};
  for (const auto& [key, q] : pods_)
    if (q.cluster == p.cluster && !q.pod.is_head && q.pod.group == p.pod.group && live(q.pod))
      ++h.live_count;
  std::string reason = deletion_reason(h, now);
  if (reason.empty() && options_.watch_skew > 0) return held_.push_back(std::move(h));
  count_deletion(h, reason);
}

void invariants::count_deletion(const held_judgment& h, std::string reason) {
  if (reason.empty()) {
    record(h.at, h.p.cluster, "deleted",
           "pod " + h.p.pod.name + " deleted: not named in workersToDelete, not failed, not " +
               "surplus with autoscaling off, not outdated under a replacing strategy, and its " +
               "cluster and group stay");
    reason = "unjustified";
  }
  ++deletions_[reason];
}

std::string invariants::deletion_reason(const held_judgment& h, double until) const {
  const pod_view& p = h.p;
  auto found = clusters_.find(p.cluster);
  const cluster_view* c = found == clusters_.end() ? nullptr : &found->second;
  const bool failed =
      ray::should_replace(p.pod) || failures_requested_.count(key_of(p.ns, p.pod.name));
  if (!c || c->going) return "cluster deleted";
  if (failed) return "failed";
  if (p.pod.is_head) {
    const bool outdated =
        c->head_strategy != ray::upgrade_type::none &&
        (p.pod.group_hash != c->head_hash || (c->head_strategy == ray::upgrade_type::recreate &&
                                              p.pod.cluster_hash != c->cluster_hash));
    if (c->suspended) return "suspended";
    if (outdated) return "outdated";
    return "";
  }
  auto g = c->groups.find(p.pod.group);
  if (g == c->groups.end()) return "group removed";
  const group_view& v = g->second;
  const double from = h.at - options_.create_grace;
  const bool outdated = v.strategy != ray::upgrade_type::none &&
                        (p.pod.group_hash != v.hash || (v.strategy == ray::upgrade_type::recreate &&
                                                        p.pod.cluster_hash != c->cluster_hash));
  if (v.named_ever.count(p.pod.name)) return "named in workersToDelete";
  if (c->suspended || (v.desired == 0 && desired_between(v, from, until, true) == 0))
    return "suspended";
  if (outdated) return "outdated";
  if (!v.autoscaling && h.live_count > desired_between(v, from, until, false)) return "surplus";
  return "";
}

void invariants::judge_held(double now) {
  // A pod change the operator made in answer to a spec change can reach the pod watch before
  // the spec change reaches the RayCluster watch (two streams, and a RayCluster is the larger
  // object): what looked wrong is judged again once the RayCluster watch has had watch_skew to
  // catch up, against what it has shown by then, and recorded at the time it was seen.
  while (!held_.empty() && held_.front().at + options_.watch_skew <= now) {
    held_judgment h = std::move(held_.front());
    held_.pop_front();
    const double until = h.at + options_.watch_skew;
    if (h.creation) {
      if (auto gap = creation_gap(h, until))
        record(h.at, h.p.cluster, "created beyond desired", *gap);
    } else {
      count_deletion(h, deletion_reason(h, until));
    }
  }
}

void invariants::pod(const json& object, double now) {
  const std::string ns = k8s::namespace_of(object);
  const auto cluster = k8s::label(object, ray::label_cluster);
  if (!cluster) return;  // not a Ray pod
  pod_view next;
  next.pod = ray::reduce_pod(object);
  next.ns = ns;
  next.cluster = key_of(ns, *cluster);
  const std::string key = key_of(ns, next.pod.name);
  auto it = pods_.find(key);
  if (it == pods_.end()) {
    next.first_seen = now;
    if (!next.pod.is_head && worker_names_seen_.count(key))
      record(now, next.cluster, "name reused",
             "worker pod name " + next.pod.name + " created a second time");
    worker_names_seen_.insert(key);
    judge_creation(next, now);
    if (next.pod.deleting) judge_deletion(next, now);
    pods_.emplace(key, std::move(next));
    return;
  }
  if (!it->second.pod.deleting && next.pod.deleting) {
    // Judged on what it was just before, with any failure it shows now.
    pod_view before = it->second;
    if (ray::should_replace(next.pod)) before.pod = next.pod, before.pod.deleting = false;
    judge_deletion(before, now);
  }
  next.first_seen = it->second.first_seen;
  it->second = std::move(next);
}

void invariants::pod_removed(const std::string& ns, const std::string& name, double now) {
  auto it = pods_.find(key_of(ns, name));
  if (it == pods_.end()) return;
  if (!it->second.pod.deleting) judge_deletion(it->second, now);
  pods_.erase(it);
}

void invariants::pods_relisted(const std::vector<json>& all, double now) {
  std::set<std::string> present;
  for (const json& p : all) present.insert(key_of(k8s::namespace_of(p), k8s::name(p)));
  std::vector<std::pair<std::string, std::string>> gone;
  for (const auto& [key, p] : pods_)
    if (!present.count(key)) gone.emplace_back(p.ns, p.pod.name);
  for (const auto& [ns, name] : gone) pod_removed(ns, name, now);
  for (const json& p : all) pod(p, now);
}

void invariants::rayclusters_relisted(const std::vector<json>& all, double now) {
  std::set<std::string> present;
  for (const json& c : all) present.insert(key_of(k8s::namespace_of(c), k8s::name(c)));
  for (auto& [key, c] : clusters_)
    if (!present.count(key)) c.going = true;
  for (const json& c : all) raycluster(c, now);
}

void invariants::failure_requested(const std::string& ns, const std::string& name) {
  failures_requested_.insert(key_of(ns, name));
}

void invariants::fault_started() {
  fault_active_ = true;
}

void invariants::fault_ended(double end) {
  fault_active_ = false;
  last_fault_end_ = std::max(last_fault_end_, end);
}

void invariants::expect_convergence(double from) {
  fault_ended(from);
  expected_from_ = from;
}

std::string invariants::settled_counts(const cluster_view& c) const {
  // Everything the status is computed from, as one key: the pods' counts and the spec's.
  std::ostringstream k;
  k << c.generation << (c.suspended ? "s" : "");
  for (const auto& [name, g] : c.groups) k << "|" << name << "=" << g.desired;
  const std::string cluster = key_of(c.ns, c.name);
  for (const auto& [key, p] : pods_)
    if (p.cluster == cluster)
      k << "|" << p.pod.name << (p.pod.deleting ? "d" : "") << p.pod.phase
        << (p.pod.ready ? "r" : "");
  return k.str();
}

std::string invariants::status_gap(const cluster_view& c) const {
  int64_t available = 0, ready = 0, desired = 0;
  const std::string cluster = key_of(c.ns, c.name);
  for (const auto& [key, p] : pods_)
    if (p.cluster == cluster && !p.pod.is_head && !p.pod.deleting && running(p.pod)) {
      ++available;
      ready += p.pod.ready;
    }
  for (const auto& [name, g] : c.groups) desired += g.desired;
  std::ostringstream gap;
  auto compare = [&](const char* field, int64_t want) {
    const int64_t has = integer(member(c.status, field), -1);
    if (has != want) gap << field << " is " << has << ", the pods say " << want << "; ";
  };
  compare("observedGeneration", c.generation);
  compare("desiredWorkerReplicas", desired);
  compare("availableWorkerReplicas", available);
  compare("readyWorkerReplicas", ready);
  return gap.str();
}

std::string invariants::convergence_gap(const cluster_view& c) const {
  const std::string cluster = key_of(c.ns, c.name);
  std::ostringstream gap;
  std::map<std::string, int64_t> live_by_group;
  bool head_ready = false;
  for (const auto& [key, p] : pods_) {
    if (p.cluster != cluster) continue;
    if (p.pod.deleting) {
      gap << "pod " << p.pod.name << " is terminating; ";
      continue;
    }
    if (p.pod.is_head) {
      head_ready = running(p.pod) && p.pod.ready;
      continue;
    }
    if (!c.groups.count(p.pod.group)) gap << "pod " << p.pod.name << " of no group; ";
    ++live_by_group[p.pod.group];
    if (!running(p.pod) || !p.pod.ready) gap << "pod " << p.pod.name << " not ready; ";
  }
  for (const auto& [name, g] : c.groups)
    if (live_by_group[name] != g.desired)
      gap << "group " << name << " has " << live_by_group[name] << " pods, wants " << g.desired
          << "; ";
  if (!c.suspended && !head_ready) gap << "no ready head; ";
  if (!c.suspended && !ready_condition(c.status)) gap << "not Ready; ";
  gap << status_gap(c);
  return gap.str();
}

void invariants::flush() {
  judge_held(std::numeric_limits<double>::infinity());
}

void invariants::tick(double now) {
  judge_held(now);
  for (auto& [key, c] : clusters_) {
    if (c.going || c.broken) continue;
    ++checks_;
    std::string counts = settled_counts(c);
    if (counts != c.counts) {
      c.counts = std::move(counts);
      c.counts_changed_at = now;
    }
    const std::string status = status_gap(c);
    const double settled = std::max(c.counts_changed_at, last_fault_end_);
    if (status.empty()) {
      c.status_bad_since = -1;
    } else if (!fault_active_ && now - settled > options_.status_deadline &&
               c.status_bad_since < 0) {
      c.status_bad_since = now;
      record(now, key, "status",
             "the status disagrees with pods settled " + std::to_string(now - settled) +
                 " s ago: " + status);
    }
    c.not_converged = convergence_gap(c);
    if (!c.not_converged.empty())
      c.converged_since = -1;
    else if (c.converged_since < 0)
      c.converged_since = now;
  }
  if (expected_from_ && !fault_active_) {
    if (all_converged()) {
      convergence_times_.push_back(now - *expected_from_);
      expected_from_.reset();
    } else if (now > *expected_from_ + options_.converge_deadline) {
      std::string why;
      for (const auto& [key, c] : clusters_)
        if (!c.going && !c.broken && c.converged_since < 0)
          why += key + ": " + c.not_converged + " ";
      record(now, "", "converge",
             "not converged " + std::to_string(options_.converge_deadline) +
                 " s after the last fault: " + why);
      expected_from_.reset();
    }
  }
}

std::vector<std::string> invariants::live_workers(const std::string& cluster,
                                                  const std::string& group) const {
  std::vector<std::string> out;
  auto c = clusters_.find(cluster);
  if (c == clusters_.end()) return out;
  auto g = c->second.groups.find(group);
  for (const auto& [key, p] : pods_)
    if (p.cluster == cluster && !p.pod.is_head && p.pod.group == group && live(p.pod) &&
        (g == c->second.groups.end() || !g->second.to_delete.count(p.pod.name)))
      out.push_back(p.pod.name);
  return out;
}

std::map<std::string, std::map<std::string, int64_t>> invariants::desired() const {
  std::map<std::string, std::map<std::string, int64_t>> out;
  for (const auto& [key, c] : clusters_) {
    if (c.going || c.broken) continue;
    for (const auto& [name, g] : c.groups) out[key][name] = g.desired;
  }
  return out;
}

bool invariants::exists(const std::string& ns, const std::string& pod) const {
  auto it = pods_.find(key_of(ns, pod));
  return it != pods_.end() && !it->second.pod.deleting;
}

bool invariants::all_converged() const {
  for (const auto& [key, c] : clusters_)
    if (!c.going && !c.broken && c.converged_since < 0) return false;
  return true;
}

json invariants::report(double now) const {
  json clusters = json::object();
  double converged_since = 0;
  for (const auto& [key, c] : clusters_) {
    if (c.going) continue;
    clusters[key] = {{"broken", c.broken},
                     {"converged_since", c.converged_since},
                     {"not_converged", c.not_converged}};
    if (!c.broken) converged_since = std::max(converged_since, c.converged_since);
  }
  json violations = json::array();
  for (const auto& v : violations_)
    violations.push_back(
        {{"at", v.at}, {"cluster", v.cluster}, {"kind", v.kind}, {"message", v.message}});
  return {{"now", now},
          {"checks", checks_},
          {"judgments_held", held_.size()},
          {"pods_created", creations_},
          {"pods_deleted", deletions_},
          {"all_converged", all_converged()},
          {"converged_since", all_converged() ? converged_since : -1.0},
          {"last_fault_end", last_fault_end_},
          {"convergence_seconds", convergence_times_},
          {"violations", violations},
          {"clusters", clusters}};
}

}  // namespace chaos
