#include "actors/worker_group_actor.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <set>

#include "actors/pod_expectations.hpp"
#include "k8s/names.hpp"
#include "k8s/object_meta.hpp"

namespace actors {

namespace {

using time_point = api_port::clock::time_point;

// A write's object backs off alone: one pod that cannot be deleted never delays another.
struct retry_gate {
  k8s::backoff backoff;
  time_point at{};
  std::optional<k8s::api_error> error;
  // Returns when the next attempt may be made. Failures that arrive while already backing off
  // belong to the same round (creates sent together fail together) and count once.
  time_point fail(time_point now, k8s::api_error e) {
    if (now >= at) {
      auto delay = backoff.next();
      // The server unavailable (a 503, a timeout): tried again within seconds of its return.
      if (e.unavailable()) delay = std::min(delay, unavailable_retry_max);
      at = now + delay;
    }
    error = std::move(e);
    return at;
  }
  std::chrono::milliseconds unavailable_retry_max{3'000};
  void succeed() {
    backoff.reset();
    at = {};
    error.reset();
  }
  bool open(time_point now) const { return now >= at; }
};

struct pending_write {
  enum class kind { create, remove, read } what;
  std::string name;
  std::string uid;  // remove: the pod's uid
};

struct group_state {
  static inline const char* name = "worker-group";
  std::string group;
  caf::actor cluster;
  api_port* port = nullptr;
  worker_group_options options;
  std::optional<group_spec> spec;
  bool synced = false;  // the group's pods have arrived
  std::map<std::string, pod_ptr> pods;
  pod_expectations expect;
  std::map<uint64_t, pending_write> writes;
  uint64_t next_ticket = 1;
  retry_gate creates;
  size_t create_batch = 0;  // slow start: creates allowed at once, halved to 1 on a failure
  std::map<std::string, retry_gate> deletes;  // per pod
  std::optional<wakeup> wake;
  std::string reported_failure;  // what the cluster last heard
};

using self_ptr = worker_group_actor::stateful_pointer<group_state>;

caf::actor handle(self_ptr self) {
  return caf::actor_cast<caf::actor>(self);
}

void record(self_ptr self, const char* type, const char* reason, std::string message) {
  self->send(caf::actor_cast<raycluster_actor>(self->state.cluster), event_atom::value,
             event_request{type, reason, std::move(message)});
}

// The cluster's ReplicaFailure condition follows the group's creates.
void report_failure(self_ptr self) {
  auto& st = self->state;
  const std::string message = st.creates.error ? "Failed to create worker Pods of group " +
                                                     st.group + ": " + st.creates.error->describe()
                                               : std::string();
  if (message == st.reported_failure) return;
  st.reported_failure = message;
  self->send(caf::actor_cast<raycluster_actor>(st.cluster), group_atom::value, st.group,
             message.empty() ? std::string() : std::string("FailedCreateWorkerPod"), message);
}

void trigger(self_ptr self, wakeup::urgency u = wakeup::urgency::now) {
  self->state.wake->trigger(*self->state.port, handle(self), u);
}

// A pod the group knew that only moved on towards running (scheduled, started) asks nothing of
// the group at once: it is looked at lazily, with the other changes that trickle in. A new pod
// (an expectation met), one turning ready or unready (a rolling update's next step), failing,
// finishing or going away is acted on now.
bool only_progressed(const ray::observed_pod& before, const ray::observed_pod& after) {
  const auto settled = [](const ray::observed_pod& p) {
    return p.phase == "Failed" || p.phase == "Succeeded" || p.ray_container_terminated ||
           p.deleting || p.unschedulable;
  };
  return !settled(before) && !settled(after) && before.uid == after.uid &&
         before.ready == after.ready;
}

// Every write of the group's goes through here: it is of its cluster's flow (the client serves
// waiting requests a cluster at a time, in turn), and its answer comes back under the ticket.
void send_write(self_ptr self, write_request w, pending_write pending) {
  auto& st = self->state;
  w.flow = st.spec->flow;
  const uint64_t ticket = st.next_ticket++;
  st.writes[ticket] = std::move(pending);
  st.port->write(std::move(w), handle(self), ticket);
}

bool delete_in_flight(const group_state& st, const std::string& name) {
  for (const auto& [ticket, w] : st.writes)
    if (w.what == pending_write::kind::remove && w.name == name) return true;
  return false;
}

void delete_pod(self_ptr self, const ray::observed_pod& pod, const std::string& why) {
  auto& st = self->state;
  const auto now = st.port->now();
  auto gate = st.deletes.find(pod.name);
  if (gate != st.deletes.end() && !gate->second.open(now)) return;
  st.expect.delete_sent(pod.name, now);
  write_request w;
  w.verb = "delete";
  w.type = k8s::resources::pods;
  w.ns = st.spec->ns;
  w.name = pod.name;
  w.delete_opts.precondition_uid = pod.uid;  // never a newer pod that reuses the name
  w.reason = why;
  send_write(self, std::move(w), {pending_write::kind::remove, pod.name, pod.uid});
}

void create_pod(self_ptr self) {
  auto& st = self->state;
  if (!st.spec->pod) return;  // a group removed from the spec makes no pods
  const auto& pod = *st.spec->pod;
  const std::string name =
      k8s::generate_name(pod.generate_name().empty() ? st.group + "-worker-" : pod.generate_name());
  st.expect.create_sent(name, st.port->now());
  write_request w;
  w.verb = "create";
  w.type = k8s::resources::pods;
  w.ns = st.spec->ns;
  w.name = name;
  w.text = pod.named(name);
  w.reason = "group " + st.group + " has fewer pods than desired";
  send_write(self, std::move(w), {pending_write::kind::create, name, {}});
}

// A create without a definite answer is settled by reading the pod it may have made.
void read_pod(self_ptr self, const std::string& name) {
  auto& st = self->state;
  for (const auto& [ticket, w] : st.writes)
    if (w.what == pending_write::kind::read && w.name == name) return;
  const uint64_t ticket = st.next_ticket++;
  st.writes[ticket] = {pending_write::kind::read, name, {}};
  st.port->read(k8s::resources::pods, st.spec->ns, name, handle(self), ticket);
}

// Surplus pods to remove when autoscaling is off: the least useful first — unschedulable,
// then pending, then not ready, then the newest.
std::vector<pod_ptr> by_removal_preference(std::vector<pod_ptr> pods) {
  auto rank = [](const ray::observed_pod& p) {
    if (p.unschedulable) return 0;
    if (p.phase != "Running") return 1;
    if (!p.ready) return 2;
    return 3;
  };
  std::stable_sort(pods.begin(), pods.end(), [&](const pod_ptr& a, const pod_ptr& b) {
    if (rank(*a) != rank(*b)) return rank(*a) < rank(*b);
    return a->creation_timestamp > b->creation_timestamp;
  });
  return pods;
}

std::chrono::milliseconds until(time_point t, time_point now) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t - now) +
         std::chrono::milliseconds(1);
}

outcome reconcile(self_ptr self) {
  auto& st = self->state;
  if (!st.spec || !st.synced) return outcome::done();
  const auto now = st.port->now();
  st.expect.expire(now);
  outcome result = outcome::done();

  // Creates of unknown outcome are read back once the creates' backoff allows.
  const auto unsure = st.expect.unsure();
  if (st.creates.open(now))
    for (const auto& name : unsure) read_pod(self, name);
  else if (!unsure.empty())
    result.merge(outcome::requeue_after(until(st.creates.at, now)));

  const auto& spec = *st.spec;
  const std::set<std::string> named(spec.workers_to_delete.begin(), spec.workers_to_delete.end());
  std::vector<pod_ptr> alive;
  for (const auto& [name, pod] : st.pods) {
    if (pod->deleting) continue;
    if (st.expect.deleting(name)) {
      // A delete without a definite answer (a timeout, a 5xx) may or may not have happened:
      // the pod counts as going, and the same delete is repeated once its backoff allows (a
      // repeat of one that did happen is answered 404 or 409, and done).
      auto gate = st.deletes.find(name);
      if (gate != st.deletes.end() && gate->second.error && !delete_in_flight(st, name))
        delete_pod(self, *pod, "its last delete had no definite answer");
      continue;
    }
    if (named.count(name)) {
      delete_pod(self, *pod, "named in scaleStrategy.workersToDelete");
    } else if (ray::should_replace(*pod)) {
      delete_pod(self, *pod,
                 "it " +
                     (pod->phase == "Failed" || pod->phase == "Succeeded"
                          ? "is " + pod->phase
                          : std::string("has a terminated Ray container")) +
                     " and will be replaced");
    } else {
      alive.push_back(pod);
    }
  }

  // Outdated pods are replaced as the strategy says; until then they count as any other.
  std::vector<pod_ptr> old;
  if (!spec.group_hash.empty()) {
    std::vector<pod_ptr> current;
    for (auto& pod : alive) {
      const bool outdated = spec.recreate_to.empty() ? pod->group_hash != spec.group_hash
                                                     : pod->cluster_hash != spec.recreate_to;
      (outdated ? old : current).push_back(pod);
    }
    const auto type = spec.strategy.type;
    // A cluster's Recreate round replaces every pod; a group's own Recreate, its own pods.
    if (!spec.recreate_to.empty() || type == ray::upgrade_type::recreate) {
      for (const auto& pod : old)
        delete_pod(self, *pod, "upgradeStrategy Recreate: it was made from an older spec");
      old.clear();
      alive = std::move(current);
    } else if (type == ray::upgrade_type::rolling_update && spec.head_current && !old.empty()) {
      alive = std::move(current);
    } else {
      old.clear();  // None, or a rolling update waiting for the head: nothing is replaced
    }
  }

  // Pods not in the view yet (created, in flight, or of unknown outcome) count as pods, made
  // from the current spec.
  const int64_t fresh = static_cast<int64_t>(alive.size() + st.expect.expected_pods());
  const int64_t have = fresh + static_cast<int64_t>(old.size());
  // A rolling update replaces within its budget: at most maxSurge pods above the desired
  // count, and an old pod goes only while desired - maxUnavailable others stay ready.
  int64_t creates = spec.desired - have;
  if (spec.strategy.type == ray::upgrade_type::rolling_update && !spec.group_hash.empty()) {
    // A pod whose delete is sent but not yet seen still counts against the surge.
    int64_t going = 0;
    for (const auto& [name, pod] : st.pods) going += !pod->deleting && st.expect.deleting(name);
    const int64_t room = spec.desired + spec.strategy.max_surge - have - going;
    if (!old.empty())
      creates = std::min(spec.desired - fresh, room);
    else if (creates > 0)
      creates = std::min(creates, std::max<int64_t>(room, 0));
  }
  if (!old.empty()) {
    int64_t ready = 0;
    for (const auto& pod : alive) ready += pod->ready;
    for (const auto& pod : old) ready += pod->ready;
    int64_t may_go = ready - (spec.desired - spec.strategy.max_unavailable);
    // The unready first: they serve nothing.
    for (const auto& pod : by_removal_preference(old)) {
      if (pod->ready && may_go <= 0) continue;
      if (pod->ready) --may_go;
      delete_pod(self, *pod, "upgradeStrategy RollingUpdate: it was made from an older spec");
    }
  }
  if (creates > 0) {
    if (!st.creates.open(now)) {
      result.merge(outcome::failed("creating worker pods of group " + st.group + ": " +
                                       (st.creates.error ? st.creates.error->describe() : ""),
                                   until(st.creates.at, now)));
    } else {
      const size_t in_flight = st.expect.in_flight();
      const size_t room = st.options.max_concurrent_creates > in_flight
                              ? st.options.max_concurrent_creates - in_flight
                              : 0;
      const size_t n = std::min({static_cast<size_t>(creates), room, st.create_batch});
      for (size_t i = 0; i < n; ++i) create_pod(self);
    }
  } else if (old.empty() && creates < 0 && !spec.autoscaling && st.expect.creates_settled()) {
    // The autoscaler alone decides which pods go when it is on; without it, we do — but only
    // once every create has a definite outcome the view shows: a pod counted twice must never
    // look like a surplus.
    auto surplus = by_removal_preference(std::move(alive));
    for (int64_t i = 0; i < -creates && static_cast<size_t>(i) < surplus.size(); ++i)
      delete_pod(self, *surplus[static_cast<size_t>(i)],
                 "group " + st.group + " has more pods than desired");
  }
  for (const auto& [name, gate] : st.deletes)
    if (!gate.open(now) && st.pods.count(name))
      result.merge(outcome::failed("deleting pod " + name, until(gate.at, now)));
  if (auto due = st.expect.next_due()) result.merge(outcome::done_by(until(*due, now)));
  report_failure(self);
  return result;
}

void run(self_ptr self) {
  auto& st = self->state;
  const outcome o = reconcile(self);
  st.wake->settle(*st.port, handle(self), o);
}

void on_create_result(self_ptr self, const pending_write& w, const write_result& r) {
  auto& st = self->state;
  const auto now = st.port->now();
  // A 409 on a name of our own choosing: an attempt the client repeated had succeeded.
  if (r.ok() || r.error->kind() == k8s::error_kind::already_exists) {
    st.expect.create_succeeded(w.name, now);
    st.creates.succeed();
    st.create_batch =
        std::min(st.options.max_concurrent_creates, std::max<size_t>(1, st.create_batch * 2));
    if (r.ok()) record(self, "Normal", "CreatedWorkerPod", "Created worker Pod " + w.name);
    return;
  }
  if (r.ambiguous()) {
    spdlog::warn("group {}: creating pod {} had no definite answer ({}); reading it back later",
                 st.group, w.name, r.error->describe());
    st.expect.create_unsure(w.name, now);
  } else {
    st.expect.create_refused(w.name);
  }
  st.create_batch = 1;
  // Repeats of one failure must read alike, to be one Event and one unchanged condition, but
  // the API server's message names the pod, whose name is new each time: it becomes its prefix.
  std::string message = r.error->message();
  const std::string prefix = w.name.substr(0, w.name.size() - 5) + "*";
  for (size_t at; (at = message.find(w.name)) != std::string::npos;)
    message.replace(at, w.name.size(), prefix);
  const k8s::api_error error(r.error->kind(), message, r.error->http_code(), r.error->reason());
  st.creates.fail(now, error);
  record(self, "Warning", "FailedToCreateWorkerPod",
         "Failed to create a worker Pod of group " + st.group + ": " + error.describe());
}

void on_delete_result(self_ptr self, const pending_write& w, const write_result& r) {
  auto& st = self->state;
  if (r.ok()) {
    st.deletes.erase(w.name);
    record(self, "Normal", "DeletedWorkerPod", "Deleted worker Pod " + w.name);
    return;  // expected until the watch shows it terminating
  }
  const auto kind = r.error->kind();
  if (kind == k8s::error_kind::not_found || kind == k8s::error_kind::conflict) {
    // Gone already, or a different pod now has the name: either way ours is gone.
    st.deletes.erase(w.name);
    st.expect.delete_done(w.name);
    return;
  }
  if (!r.ambiguous()) st.expect.delete_done(w.name);  // an ambiguous one may have happened
  // The gate's backoff grows with each failure of this pod's delete, from the first.
  auto [gate, added] = st.deletes.try_emplace(w.name);
  if (added) gate->second.backoff = k8s::backoff(st.options.write_retry);
  gate->second.fail(st.port->now(), *r.error);
  record(self, "Warning", "FailedToDeleteWorkerPod",
         "Failed to delete worker Pod " + w.name + ": " + r.error->describe());
}

void on_read_result(self_ptr self, const pending_write& w, const write_result& r) {
  auto& st = self->state;
  const auto now = st.port->now();
  if (r.ok()) {
    st.expect.create_succeeded(w.name, now);  // it exists: the watch will show it
  } else if (r.error->kind() == k8s::error_kind::not_found) {
    st.expect.create_refused(w.name);  // it was never made: a replacement may be
  } else {
    st.creates.fail(now, *r.error);
  }
}

worker_group_actor::behavior_type group(self_ptr self, caf::actor cluster, api_port* port,
                                        std::string name, worker_group_options options) {
  auto& st = self->state;
  st.group = std::move(name);
  st.cluster = std::move(cluster);
  st.port = port;
  st.options = options;
  st.expect = pod_expectations(options.expectation_timeout);
  st.creates.backoff = k8s::backoff(options.write_retry);
  st.create_batch = options.max_concurrent_creates;
  st.wake.emplace(options.wake);
  self->attach_functor([port, id = self->id()] { port->forget(id); });
  return {
      [=](spec_atom, group_spec& spec) {
        self->state.spec = std::move(spec);
        trigger(self);
      },
      [=](pod_atom, apply_atom, pod_ptr& pod) {
        auto& s = self->state;
        s.expect.observed(pod->name);
        if (pod->deleting) s.expect.delete_done(pod->name);
        auto& known = s.pods[pod->name];
        const bool lazy = known && only_progressed(*known, *pod);
        known = std::move(pod);
        trigger(self, lazy ? wakeup::urgency::lazy : wakeup::urgency::now);
      },
      [=](pod_atom, remove_atom, pod_ptr& pod) {
        auto& s = self->state;
        s.pods.erase(pod->name);
        s.expect.observed(pod->name);
        s.expect.delete_done(pod->name);
        s.deletes.erase(pod->name);
        trigger(self);
      },
      [=](pod_atom, resync_atom, std::vector<pod_ptr>& pods) {
        auto& s = self->state;
        std::map<std::string, pod_ptr> next;
        for (auto& p : pods) {
          s.expect.observed(p->name);
          if (p->deleting) s.expect.delete_done(p->name);
          next[p->name] = std::move(p);
        }
        // A pod we were deleting that the list no longer has is gone.
        for (const auto& [pod_name, p] : s.pods)
          if (!next.count(pod_name)) s.expect.delete_done(pod_name);
        s.pods = std::move(next);
        s.synced = true;
        trigger(self);
      },
      [=](written_atom, uint64_t ticket, write_result& r) {
        auto& s = self->state;
        auto it = s.writes.find(ticket);
        if (it == s.writes.end()) return;
        const pending_write w = std::move(it->second);
        s.writes.erase(it);
        switch (w.what) {
          case pending_write::kind::create:
            on_create_result(self, w, r);
            break;
          case pending_write::kind::remove:
            on_delete_result(self, w, r);
            break;
          case pending_write::kind::read:
            on_read_result(self, w, r);
            break;
        }
        trigger(self);
      },
      [=](wake_atom, uint64_t generation) {
        if (self->state.wake->due(generation)) run(self);
      },
  };
}

}  // namespace

worker_group_actor spawn_worker_group(caf::local_actor* parent, caf::actor cluster, api_port* port,
                                      std::string group_name, worker_group_options options) {
  return parent->spawn<caf::linked>(group, std::move(cluster), port, std::move(group_name),
                                    options);
}

}  // namespace actors
