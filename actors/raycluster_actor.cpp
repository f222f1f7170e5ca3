#include "actors/raycluster_actor.hpp"

#include <spdlog/spdlog.h>

#include <mutex>

#include "actors/observed_child.hpp"
#include "actors/raycluster_state.hpp"
#include "ray/constants.hpp"

namespace actors {

namespace {

void schedule_reconcile(cluster_self self) {
  auto& st = self->state;
  if (st.reconcile_scheduled) return;
  st.reconcile_scheduled = true;
  self->delayed_send(self, st.options.debounce, reconcile_atom::value, uint64_t{0});
}

void forward_pod(cluster_self self, const ray::observed_pod& pod, bool removed) {
  if (pod.is_head) return;
  auto it = self->state.groups.find(pod.group);
  if (it == self->state.groups.end()) return;  // the group's actor gets a full list at spawn
  if (removed)
    self->send(it->second, pod_atom::value, remove_atom::value, pod);
  else
    self->send(it->second, pod_atom::value, apply_atom::value, pod);
}

void apply_pod(cluster_self self, const ray::observed_pod& pod, bool removed) {
  auto& pods = self->state.pods;
  if (removed) {
    pods.erase(pod.name);
  } else {
    auto it = pods.find(pod.name);
    // A view older than the one held (a replayed event, a stale list) is ignored.
    if (it != pods.end() && revision(pod.resource_version) < revision(it->second.resource_version))
      return;
    pods[pod.name] = pod;
  }
  forward_pod(self, pod, removed);
}

void apply_child(cluster_self self, const observed_child& child, bool removed) {
  auto& children = self->state.children;
  const auto key = child_key(child.kind, child.name);
  if (removed) {
    children.erase(key);
    return;
  }
  auto it = children.find(key);
  if (it != children.end() &&
      revision(child.resource_version) < revision(it->second.resource_version))
    return;
  children[key] = child;
}

// Lists this cluster's pods, services and StatefulSet; the result arrives as `listed_atom`.
void list_children(cluster_self self) {
  auto& st = self->state;
  st.synced = false;
  const uint64_t id = ++st.list_id;
  struct gather {
    std::mutex m;
    int remaining = 3;
    std::vector<ray::observed_pod> pods;
    std::vector<observed_child> children;
    std::string error;
  };
  auto g = std::make_shared<gather>();
  auto handle = caf::actor_cast<raycluster_actor>(self);
  const auto done = [g, handle, id](const k8s::resource& type, k8s::result<nlohmann::json> r) {
    std::lock_guard<std::mutex> lock(g->m);
    if (!r) {
      g->error = "listing " + type.plural + ": " + r.error().describe();
    } else {
      for (const auto& item : r.value().value("items", nlohmann::json::array())) {
        if (type.plural == "pods") {
          g->pods.push_back(ray::reduce_pod(item));
        } else {
          auto with_kind = item;
          with_kind["kind"] = type.kind;
          g->children.push_back(reduce_child(with_kind));
        }
      }
    }
    if (--g->remaining == 0)
      caf::anon_send(handle, listed_atom::value, id, std::move(g->pods), std::move(g->children),
                     std::move(g->error));
  };
  k8s::list_options o;
  o.label_selector = std::string(ray::label_cluster) + "=" + st.key.name + "," +
                     ray::label_created_by + "=" + ray::created_by;
  for (const auto* type :
       {&k8s::resources::pods, &k8s::resources::services, &k8s::resources::statefulsets})
    st.api->list_all(*type, st.key.ns, o,
                     [done, type](k8s::result<nlohmann::json> r) { done(*type, std::move(r)); });
}

raycluster_actor::behavior_type raycluster(cluster_self self, cluster_key key,
                                           api_writer_actor writer, k8s::client* api,
                                           raycluster_options options) {
  auto& st = self->state;
  st.key = std::move(key);
  st.writer = std::move(writer);
  st.api = api;
  st.options = options;
  // A worker-group actor that fails takes this actor down with it; the supervisor restarts
  // this cluster as a whole, which relists and rebuilds everything. The failure's message is
  // kept in the exit reason, so the restart Event can say what went wrong.
  self->set_exception_handler([](caf::scheduled_actor*, std::exception_ptr& ep) -> caf::error {
    try {
      std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      return caf::make_error(caf::sec::runtime_error, std::string(e.what()));
    } catch (...) {
    }
    return caf::make_error(caf::sec::runtime_error);
  });
  list_children(self);
  self->delayed_send(self, st.options.resync_period, reconcile_atom::value);
  return {
      [=](spec_atom, nlohmann::json& raycluster) {
        self->state.stored = std::move(raycluster);
        schedule_reconcile(self);
      },
      [=](pod_atom, apply_atom, ray::observed_pod& pod) {
        if (!self->state.synced) {
          self->state.buffered.push_back({true, false, pod, {}});
          return;
        }
        apply_pod(self, pod, false);
        schedule_reconcile(self);
      },
      [=](pod_atom, remove_atom, ray::observed_pod& pod) {
        if (!self->state.synced) {
          self->state.buffered.push_back({true, true, pod, {}});
          return;
        }
        apply_pod(self, pod, true);
        schedule_reconcile(self);
      },
      [=](child_atom, apply_atom, observed_child& child) {
        if (!self->state.synced) {
          self->state.buffered.push_back({false, false, {}, child});
          return;
        }
        apply_child(self, child, false);
        schedule_reconcile(self);
      },
      [=](child_atom, remove_atom, observed_child& child) {
        if (!self->state.synced) {
          self->state.buffered.push_back({false, true, {}, child});
          return;
        }
        apply_child(self, child, true);
        schedule_reconcile(self);
      },
      [=](resync_atom) { list_children(self); },
      [=](listed_atom, uint64_t id, std::vector<ray::observed_pod>& pods,
          std::vector<observed_child>& children, std::string& error) {
        auto& s = self->state;
        if (id != s.list_id) return;  // superseded by a newer listing
        if (!error.empty()) {
          spdlog::warn("RayCluster {}: {}; retrying", s.key.str(), error);
          self->delayed_send(self, std::chrono::seconds(2), resync_atom::value);
          return;
        }
        s.pods.clear();
        s.children.clear();
        for (auto& p : pods) s.pods[p.name] = p;
        for (auto& c : children) s.children[child_key(c.kind, c.name)] = c;
        auto buffered = std::move(s.buffered);
        s.buffered.clear();
        s.synced = true;
        for (auto& e : buffered) {
          if (e.is_pod)
            apply_pod(self, e.pod, e.removed);
          else
            apply_child(self, e.child, e.removed);
        }
        // Every group actor gets its complete pod list.
        for (auto& [name, actor] : s.groups) {
          std::vector<ray::observed_pod> group_pods;
          for (const auto& [pod_name, p] : s.pods)
            if (!p.is_head && p.group == name) group_pods.push_back(p);
          self->send(actor, resync_atom::value, std::move(group_pods));
        }
        schedule_reconcile(self);
      },
      [=](reconcile_atom) {
        // The periodic resync: a safety net, not the mechanism.
        self->delayed_send(self, self->state.options.resync_period, reconcile_atom::value);
        schedule_reconcile(self);
      },
      [=](reconcile_atom, uint64_t) {
        self->state.reconcile_scheduled = false;
        reconcile(self);
      },
  };
}

}  // namespace

raycluster_actor spawn_raycluster(caf::local_actor* parent, cluster_key key,
                                  api_writer_actor writer, k8s::client* api,
                                  raycluster_options options) {
  return parent->spawn(raycluster, std::move(key), std::move(writer), api, options);
}

}  // namespace actors
