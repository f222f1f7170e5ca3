#include "actors/worker_group_actor.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <set>

#include "k8s/object_meta.hpp"

namespace actors {

namespace {

using clock = std::chrono::steady_clock;

struct group_state {
  static inline const char* name = "worker-group";
  std::string group;
  api_writer_actor writer;
  worker_group_options options;
  std::optional<group_spec> spec;
  bool synced = false;  // a full list of this group's pods has arrived
  std::map<std::string, ray::observed_pod> pods;
  // Expectations.
  size_t creates_in_flight = 0;
  std::map<std::string, clock::time_point> created_unseen;  // name -> when created
  std::set<std::string> deletes_pending;  // deleted by us, not yet seen deleting or gone
  clock::time_point retry_after{};        // after a failed write, wait before trying again
  bool reconcile_queued = false;
};

using self_ptr = worker_group_actor::stateful_pointer<group_state>;

void queue_reconcile(self_ptr self) {
  if (self->state.reconcile_queued) return;
  self->state.reconcile_queued = true;
  self->send(self, reconcile_atom::value);
}

void record(self_ptr self, const char* type, const char* reason, const std::string& message) {
  if (!self->state.spec) return;
  self->send(self->state.writer, event_atom::value,
             event_request{self->state.spec->involved, type, reason, message});
}

void fail_later(self_ptr self) {
  self->state.retry_after = clock::now() + std::chrono::seconds(2);
  self->delayed_send(self, std::chrono::seconds(2), reconcile_atom::value);
}

void delete_pod(self_ptr self, const ray::observed_pod& pod, const std::string& why) {
  auto& st = self->state;
  st.deletes_pending.insert(pod.name);
  write_request w;
  w.verb = "delete";
  w.type = k8s::resources::pods;
  w.ns = k8s::namespace_of(st.spec->pod);
  w.name = pod.name;
  w.delete_opts.precondition_uid = pod.uid;  // never a newer pod that reuses the name
  w.reason = why;
  const std::string name = pod.name;
  self->request(st.writer, caf::infinite, write_atom::value, std::move(w))
      .then([=](write_result& r) {
        auto& s = self->state;
        if (r.ok() || (r.error && (r.error->kind() == k8s::error_kind::not_found ||
                                   r.error->kind() == k8s::error_kind::conflict))) {
          // Gone already, or a different pod now has the name: either way ours is gone.
          if (!r.ok()) s.deletes_pending.erase(name);
          if (r.ok())
            record(self, "Normal", "DeletedWorkerPod", "Deleted worker Pod " + name + ": " + why);
        } else {
          s.deletes_pending.erase(name);
          record(self, "Warning", "FailedToDeleteWorkerPod",
                 "Failed to delete worker Pod " + name + ": " + r.error->describe());
          fail_later(self);
        }
        queue_reconcile(self);
      });
}

void create_pod(self_ptr self) {
  auto& st = self->state;
  ++st.creates_in_flight;
  write_request w;
  w.verb = "create";
  w.type = k8s::resources::pods;
  w.ns = k8s::namespace_of(st.spec->pod);
  w.body = st.spec->pod;
  w.reason = "group " + st.group + " has fewer pods than desired";
  self->request(st.writer, caf::infinite, write_atom::value, std::move(w))
      .then([=](write_result& r) {
        auto& s = self->state;
        --s.creates_in_flight;
        if (r.ok()) {
          const std::string name = k8s::name(*r.object);
          if (!s.pods.count(name)) s.created_unseen.emplace(name, clock::now());
          record(self, "Normal", "CreatedWorkerPod", "Created worker Pod " + name);
        } else {
          record(self, "Warning", "FailedToCreateWorkerPod",
                 "Failed to create a worker Pod for group " + s.group + ": " + r.error->describe());
          fail_later(self);
        }
        queue_reconcile(self);
      });
}

// Surplus pods to remove when autoscaling is off: the least useful first — unschedulable,
// then pending, then not ready, then the newest.
std::vector<ray::observed_pod> by_removal_preference(std::vector<ray::observed_pod> pods) {
  auto rank = [](const ray::observed_pod& p) {
    if (p.unschedulable) return 0;
    if (p.phase != "Running") return 1;
    if (!p.ready) return 2;
    return 3;
  };
  std::stable_sort(pods.begin(), pods.end(), [&](const auto& a, const auto& b) {
    if (rank(a) != rank(b)) return rank(a) < rank(b);
    return a.creation_timestamp > b.creation_timestamp;
  });
  return pods;
}

void reconcile(self_ptr self) {
  auto& st = self->state;
  st.reconcile_queued = false;
  if (!st.spec || !st.synced) return;
  const auto now = clock::now();
  if (now < st.retry_after) return;

  // Creates the watch has not shown after the timeout were removed by someone else meanwhile.
  for (auto it = st.created_unseen.begin(); it != st.created_unseen.end();)
    it = now - it->second > st.options.create_expectation_timeout ? st.created_unseen.erase(it)
                                                                  : std::next(it);

  const auto& spec = *st.spec;
  const std::set<std::string> named(spec.workers_to_delete.begin(), spec.workers_to_delete.end());
  std::vector<ray::observed_pod> alive;
  for (const auto& [name, pod] : st.pods) {
    if (pod.deleting || st.deletes_pending.count(name)) continue;
    if (named.count(name)) {
      delete_pod(self, pod, "named in scaleStrategy.workersToDelete");
    } else if (ray::should_replace(pod)) {
      delete_pod(self, pod,
                 "it " +
                     (pod.phase == "Failed" || pod.phase == "Succeeded"
                          ? "is " + pod.phase
                          : std::string("has a terminated Ray container")) +
                     " and will be replaced");
    } else {
      alive.push_back(pod);
    }
  }

  const int64_t have =
      static_cast<int64_t>(alive.size() + st.creates_in_flight + st.created_unseen.size());
  const int64_t diff = spec.desired - have;
  if (diff != 0)
    spdlog::debug("group {}: desired {}, alive {}, creating {}, created unseen {}, deleting {}",
                  st.group, spec.desired, alive.size(), st.creates_in_flight,
                  st.created_unseen.size(), st.deletes_pending.size());
  if (diff > 0) {
    const size_t room = st.options.max_concurrent_creates > st.creates_in_flight
                            ? st.options.max_concurrent_creates - st.creates_in_flight
                            : 0;
    for (int64_t i = 0; i < diff && static_cast<size_t>(i) < room; ++i) create_pod(self);
  } else if (diff < 0 && !spec.autoscaling && st.creates_in_flight == 0 &&
             st.created_unseen.empty()) {
    // The autoscaler alone decides which pods go when it is on; without it, we do — but only
    // once our own creates are settled: a new pod can show in the watch before its create is
    // answered, and counting it twice must never look like a surplus.
    auto surplus = by_removal_preference(std::move(alive));
    for (int64_t i = 0; i < -diff && static_cast<size_t>(i) < surplus.size(); ++i)
      delete_pod(self, surplus[static_cast<size_t>(i)],
                 "group " + st.group + " has more pods than desired");
  }
}

void observe(self_ptr self, const ray::observed_pod& pod) {
  auto& st = self->state;
  st.created_unseen.erase(pod.name);
  if (pod.deleting) st.deletes_pending.erase(pod.name);
  st.pods[pod.name] = pod;
}

worker_group_actor::behavior_type group(self_ptr self, api_writer_actor writer, std::string name,
                                        worker_group_options options) {
  self->state.group = std::move(name);
  self->state.writer = std::move(writer);
  self->state.options = options;
  return {
      [=](spec_atom, group_spec& spec) {
        self->state.spec = std::move(spec);
        queue_reconcile(self);
      },
      [=](pod_atom, apply_atom, ray::observed_pod& pod) {
        observe(self, pod);
        queue_reconcile(self);
      },
      [=](pod_atom, remove_atom, ray::observed_pod& pod) {
        auto& st = self->state;
        st.pods.erase(pod.name);
        st.deletes_pending.erase(pod.name);
        st.created_unseen.erase(pod.name);
        queue_reconcile(self);
      },
      [=](resync_atom, std::vector<ray::observed_pod>& pods) {
        auto& st = self->state;
        st.pods.clear();
        for (auto& p : pods) observe(self, p);
        // A delete we issued that the list no longer shows is complete.
        for (auto it = st.deletes_pending.begin(); it != st.deletes_pending.end();)
          it = st.pods.count(*it) ? std::next(it) : st.deletes_pending.erase(it);
        st.synced = true;
        queue_reconcile(self);
      },
      [=](reconcile_atom) { reconcile(self); },
  };
}

}  // namespace

worker_group_actor spawn_worker_group(caf::local_actor* parent, api_writer_actor writer,
                                      std::string group_name, worker_group_options options) {
  return parent->spawn<caf::linked>(group, std::move(writer), std::move(group_name), options);
}

}  // namespace actors
