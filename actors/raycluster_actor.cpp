#include "actors/raycluster_actor.hpp"

#include <spdlog/spdlog.h>

#include "actors/observed_child.hpp"
#include "actors/operator_metrics.hpp"
#include "actors/raycluster_state.hpp"
#include "k8s/object_meta.hpp"

namespace actors {

namespace {

void trigger(cluster_self self, wakeup::urgency u = wakeup::urgency::now) {
  self->state.wake->trigger(*self->state.port, handle(self), u);
}

// Observed pods and children mostly move the status: their reconcile can wait a little.
constexpr auto lazily = wakeup::urgency::lazy;

// The spec (its generation), labels, annotations, finalizers or deletion differ.
bool changed_beyond_status(const nlohmann::json& before, const nlohmann::json& after) {
  if (k8s::generation(before) != k8s::generation(after)) return true;
  static const nlohmann::json none;
  const auto meta = [](const nlohmann::json& o, const char* key) -> const nlohmann::json& {
    auto m = o.find("metadata");
    if (m == o.end()) return none;
    auto it = m->find(key);
    return it == m->end() ? none : *it;
  };
  for (const char* key : {"labels", "annotations", "deletionTimestamp", "finalizers"})
    if (meta(before, key) != meta(after, key)) return true;
  return false;
}

void run(cluster_self self) {
  auto& st = self->state;
  const auto began = std::chrono::steady_clock::now();
  const outcome o = reconcile(self);
  release_defaulted(st);
  st.wake->settle(*st.port, handle(self), o);
  if (auto* metrics = st.options.metrics)
    metrics->reconcile_done(o.result(), std::chrono::steady_clock::now() - began);
  if (o.error) spdlog::debug("RayCluster {}: reconcile failed: {}", st.key.str(), *o.error);
  if (o.is_done() && !st.healthy_reported) {
    st.healthy_reported = true;
    self->send(caf::actor_cast<cluster_supervisor_actor>(st.supervisor), healthy_atom::value,
               st.key, st.incarnation);
  }
}

void forward_pod(cluster_self self, const pod_ptr& pod, bool removed) {
  if (pod->is_head) return;
  auto it = self->state.groups.find(pod->group);
  if (it == self->state.groups.end()) return;  // a group's actor gets its pods when spawned
  if (removed)
    self->send(it->second, pod_atom::value, remove_atom::value, pod);
  else
    self->send(it->second, pod_atom::value, apply_atom::value, pod);
}

void apply_child(cluster_self self, child_ptr child) {
  auto& st = self->state;
  const auto key = child_key(child->kind, child->name);
  st.ledger.observed(key, child->resource_version);
  st.children[key] = std::move(child);
}

}  // namespace

raycluster_actor::behavior_type raycluster(cluster_self self, caf::actor supervisor,
                                           cluster_key key, uint64_t incarnation, api_port* port,
                                           cluster_seed seed, raycluster_options options) {
  auto& st = self->state;
  st.key = std::move(key);
  st.incarnation = incarnation;
  st.supervisor = std::move(supervisor);
  st.port = port;
  st.options = options;
  st.ledger = write_ledger(options.ledger);
  st.recorder = event_recorder(options.events);
  st.wake.emplace(options.wake);
  st.stored = std::move(seed.stored);
  for (auto& p : seed.pods) st.pods[p->name] = std::move(p);
  for (auto& c : seed.children) apply_child(self, std::move(c));
  self->attach_functor([port, id = self->id()] { port->forget(id); });
  // A worker-group actor that fails takes this actor down with it; the supervisor restarts
  // this cluster as a whole from its stores. The failure's message is kept in the exit reason,
  // so the restart Event can say what went wrong.
  self->set_exception_handler([](caf::scheduled_actor*, std::exception_ptr& ep) -> caf::error {
    try {
      std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      return caf::make_error(caf::sec::runtime_error, std::string(e.what()));
    } catch (...) {
    }
    return caf::make_error(caf::sec::runtime_error);
  });
  trigger(self);
  return {
      [=](spec_atom, raycluster_ptr& raycluster) {
        auto& s = self->state;
        const std::string rv = k8s::resource_version(*raycluster);
        s.ledger.observed("status", rv);
        s.ledger.observed("defaults", rv);
        // A user's change is acted on at once; a change of the status alone (most often our own
        // status write coming back) is no hurry.
        const bool users_change = !s.stored || changed_beyond_status(*s.stored, *raycluster);
        s.stored = std::move(raycluster);
        trigger(self, users_change ? wakeup::urgency::now : lazily);
      },
      [=](pod_atom, apply_atom, pod_ptr& pod) {
        self->state.pods[pod->name] = pod;
        forward_pod(self, pod, false);
        trigger(self, lazily);
      },
      [=](pod_atom, remove_atom, pod_ptr& pod) {
        self->state.pods.erase(pod->name);
        self->state.update_deleted_uids.erase(pod->uid);
        forward_pod(self, pod, true);
        trigger(self, pod->is_head ? wakeup::urgency::now : lazily);  // a head is made at once
      },
      [=](pod_atom, resync_atom, std::vector<pod_ptr>& pods) {
        auto& s = self->state;
        s.pods.clear();
        std::map<std::string, std::vector<pod_ptr>> by_group;
        for (auto& p : pods) {
          if (!p->is_head) by_group[p->group].push_back(p);
          s.pods[p->name] = std::move(p);
        }
        for (auto& [name, actor] : s.groups)
          self->send(actor, pod_atom::value, resync_atom::value, std::move(by_group[name]));
        trigger(self);
      },
      [=](child_atom, apply_atom, child_ptr& child) {
        apply_child(self, std::move(child));
        trigger(self, lazily);
      },
      [=](child_atom, remove_atom, child_ptr& child) {
        auto& s = self->state;
        const auto key = child_key(child->kind, child->name);
        s.children.erase(key);
        s.ledger.forget(key);
        trigger(self);
      },
      [=](child_atom, resync_atom, std::string& kind, std::vector<child_ptr>& children) {
        auto& s = self->state;
        for (auto it = s.children.begin(); it != s.children.end();)
          it = it->second->kind == kind ? s.children.erase(it) : std::next(it);
        for (auto& c : children) {
          const auto key = child_key(c->kind, c->name);
          s.ledger.forget(key);  // the list is the truth about what it shows
          s.children[key] = std::move(c);
        }
        trigger(self);
      },
      [=](written_atom, uint64_t ticket, write_result& r) {
        if (on_written(self, ticket, r)) trigger(self);
      },
      [=](wake_atom, uint64_t generation) {
        if (self->state.wake->due(generation)) run(self);
      },
      [=](event_atom, event_request& e) { record(self, e.type, e.reason, e.message); },
      [=](group_atom, std::string& group, std::string& reason, std::string& message) {
        auto& failures = self->state.group_failures;
        if (message.empty())
          failures.erase(group);
        else
          failures[group] = {std::move(reason), std::move(message)};
        trigger(self, lazily);
      },
  };
}

raycluster_actor spawn_raycluster(caf::local_actor* parent, caf::actor supervisor, cluster_key key,
                                  uint64_t incarnation, api_port* port, cluster_seed seed,
                                  raycluster_options options) {
  return parent->spawn(raycluster, std::move(supervisor), std::move(key), incarnation, port,
                       std::move(seed), std::move(options));
}

}  // namespace actors
