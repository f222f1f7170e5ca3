#include "actors/cluster_supervisor.hpp"

#include <spdlog/spdlog.h>

#include <map>
#include <set>

#include "actors/operator_metrics.hpp"
#include "actors/raycluster_actor.hpp"
#include "actors/raycluster_state.hpp"
#include "k8s/object_meta.hpp"

namespace actors {

namespace {

struct managed_cluster {
  raycluster_actor actor;  // invalid while waiting to be restarted
  nlohmann::json latest;   // the RayCluster as last seen
  uint64_t restarts = 0;
  uint64_t incarnation = 0;
};

struct supervisor_state {
  static inline const char* name = "cluster-supervisor";
  api_writer_actor writer;
  k8s::client* api = nullptr;
  supervisor_options options;
  std::map<cluster_key, managed_cluster> clusters;
  std::map<caf::actor_addr, cluster_key> by_address;
};

using self_ptr = cluster_supervisor_actor::stateful_pointer<supervisor_state>;

cluster_key key_of(const nlohmann::json& raycluster) {
  return {k8s::namespace_of(raycluster), k8s::name(raycluster)};
}

void start(self_ptr self, const cluster_key& key, managed_cluster& m) {
  auto actor =
      spawn_raycluster(self, key, self->state.writer, self->state.api, self->state.options.cluster);
  self->monitor(actor);
  self->state.by_address[actor.address()] = key;
  m.actor = actor;
  ++m.incarnation;
  if (m.latest.is_object()) self->send(actor, spec_atom::value, m.latest);
}

void stop(self_ptr self, managed_cluster& m) {
  if (!m.actor) return;
  self->state.by_address.erase(m.actor.address());
  self->demonitor(m.actor.address());
  self->send_exit(m.actor, caf::exit_reason::user_shutdown);
  m.actor = nullptr;
}

template <class... Ts>
void forward(self_ptr self, const cluster_key& key, Ts&&... xs) {
  auto it = self->state.clusters.find(key);
  if (it != self->state.clusters.end() && it->second.actor)
    self->send(it->second.actor, std::forward<Ts>(xs)...);
}

void on_down(self_ptr self, const caf::down_msg& dm) {
  auto& st = self->state;
  auto addr = st.by_address.find(dm.source);
  if (addr == st.by_address.end()) return;
  const cluster_key key = addr->second;
  st.by_address.erase(addr);
  auto it = st.clusters.find(key);
  if (it == st.clusters.end()) return;
  auto& m = it->second;
  m.actor = nullptr;
  ++m.restarts;
  if (auto* metrics = st.options.cluster.metrics) metrics->actor_restarted();
  const auto shift = std::min<uint64_t>(m.restarts - 1, 16);
  const std::chrono::milliseconds delay = std::min<std::chrono::milliseconds>(
      st.options.restart_backoff_initial * (int64_t{1} << shift), st.options.restart_backoff_max);
  const std::string reason = self->system().render(dm.reason);
  spdlog::error("RayCluster {}: its actor failed ({}); restart #{} in {} ms", key.str(), reason,
                m.restarts, delay.count());
  if (m.latest.is_object())
    self->send(st.writer, event_atom::value,
               event_request{involved_object(m.latest), "Warning", "ReconcilerRestarted",
                             "The reconciler of this RayCluster failed (" + reason +
                                 ") and is restarted in " + std::to_string(delay.count()) +
                                 " ms (restart " + std::to_string(m.restarts) + ")"});
  self->delayed_send(self, delay, respawn_atom::value, key, m.incarnation);
}

cluster_supervisor_actor::behavior_type supervisor(self_ptr self, api_writer_actor writer,
                                                   k8s::client* api, supervisor_options options) {
  self->state.writer = std::move(writer);
  self->state.api = api;
  self->state.options = options;
  self->set_down_handler([=](caf::down_msg& dm) { on_down(self, dm); });
  self->set_exit_handler([=](caf::exit_msg& em) {
    for (auto& [key, m] : self->state.clusters) stop(self, m);
    self->quit(em.reason);
  });
  return {
      [=](apply_atom, nlohmann::json& raycluster) {
        const auto key = key_of(raycluster);
        auto [it, added] = self->state.clusters.try_emplace(key);
        it->second.latest = raycluster;
        if (added) {
          start(self, key, it->second);
          *self->state.options.managed = self->state.clusters.size();
        } else if (it->second.actor) {
          self->send(it->second.actor, spec_atom::value, std::move(raycluster));
        }
      },
      [=](remove_atom, cluster_key& key) {
        auto it = self->state.clusters.find(key);
        if (it == self->state.clusters.end()) return;
        stop(self, it->second);
        if (auto* metrics = self->state.options.cluster.metrics)
          metrics->cluster_gone(key.ns, key.name, k8s::uid(it->second.latest));
        self->state.clusters.erase(it);
        *self->state.options.managed = self->state.clusters.size();
      },
      [=](resync_atom, std::vector<nlohmann::json>& all) {
        std::set<cluster_key> present;
        for (const auto& rc : all) present.insert(key_of(rc));
        for (auto it = self->state.clusters.begin(); it != self->state.clusters.end();) {
          if (present.count(it->first)) {
            ++it;
            continue;
          }
          stop(self, it->second);
          it = self->state.clusters.erase(it);
        }
        *self->state.options.managed = self->state.clusters.size();
        for (auto& rc : all) self->send(self, apply_atom::value, std::move(rc));
      },
      [=](pod_atom, apply_atom a, cluster_key& key, ray::observed_pod& pod) {
        forward(self, key, pod_atom::value, a, std::move(pod));
      },
      [=](pod_atom, remove_atom r, cluster_key& key, ray::observed_pod& pod) {
        forward(self, key, pod_atom::value, r, std::move(pod));
      },
      [=](child_atom, apply_atom a, cluster_key& key, observed_child& child) {
        forward(self, key, child_atom::value, a, std::move(child));
      },
      [=](child_atom, remove_atom r, cluster_key& key, observed_child& child) {
        forward(self, key, child_atom::value, r, std::move(child));
      },
      [=](resync_atom) {
        for (auto& [key, m] : self->state.clusters)
          if (m.actor) self->send(m.actor, resync_atom::value);
      },
      [=](respawn_atom, cluster_key& key, uint64_t incarnation) {
        auto it = self->state.clusters.find(key);
        if (it == self->state.clusters.end() || it->second.actor ||
            it->second.incarnation != incarnation)
          return;
        start(self, key, it->second);
      },
      [=](stats_atom) -> uint64_t { return self->state.clusters.size(); },
      [=](ping_atom, std::shared_ptr<liveness_probe>& probe) { probe->answer(); },
  };
}

}  // namespace

cluster_supervisor_actor spawn_cluster_supervisor(caf::actor_system& sys, api_writer_actor writer,
                                                  k8s::client* api, supervisor_options options) {
  return sys.spawn(supervisor, std::move(writer), api, options);
}

}  // namespace actors
