#include "actors/cluster_supervisor.hpp"

#include <spdlog/spdlog.h>

#include <map>
#include <set>

#include "actors/child_cache.hpp"
#include "actors/clock.hpp"
#include "actors/event_recorder.hpp"
#include "actors/operator_metrics.hpp"
#include "actors/raycluster_state.hpp"
#include "actors/wakeup.hpp"
#include "k8s/object_meta.hpp"

namespace actors {

namespace {

using time_point = api_port::clock::time_point;

struct managed_cluster {
  raycluster_actor actor;  // invalid while stopped or waiting to be restarted
  raycluster_ptr latest;   // the RayCluster as last seen
  uint64_t restarts = 0;   // in a row, since it last ran well
  uint64_t incarnation = 0;
  std::optional<time_point> started_at;
  std::optional<time_point> healthy_since;  // its first good reconcile, this incarnation
  std::optional<time_point> respawn_at;
};

struct supervisor_state {
  static inline const char* name = "cluster-supervisor";
  api_port* port = nullptr;
  supervisor_options options;
  std::map<cluster_key, managed_cluster> clusters;
  std::map<caf::actor_addr, cluster_key> by_address;
  std::optional<child_cache> cache;
  std::set<std::string> raycluster_scopes_listed;
  bool started = false;
  event_recorder recorder;
  std::map<uint64_t, write_request> event_writes;
  uint64_t next_ticket = 1;
  std::optional<wakeup> wake;
};

using self_ptr = cluster_supervisor_actor::stateful_pointer<supervisor_state>;

caf::actor handle_of(self_ptr self) {
  return caf::actor_cast<caf::actor>(self);
}

cluster_key key_of(const nlohmann::json& raycluster) {
  return {k8s::namespace_of(raycluster), k8s::name(raycluster)};
}

std::string scope_of(self_ptr self, const std::string& ns) {
  const auto& scopes = self->state.options.scopes;
  return scopes.size() == 1 && scopes.front().empty() ? std::string() : ns;
}

void publish(self_ptr self) {
  auto& st = self->state;
  st.options.health->clusters = st.clusters.size();
  st.options.health->pods = st.cache->pods();
}

void start(self_ptr self, const cluster_key& key, managed_cluster& m) {
  auto& st = self->state;
  cluster_seed seed{m.latest, st.cache->pods_of(key), st.cache->children_of(key)};
  auto actor = spawn_raycluster(self, handle_of(self), key, ++m.incarnation, st.port,
                                std::move(seed), st.options.cluster);
  self->monitor(actor);
  st.by_address[actor.address()] = key;
  m.actor = actor;
  m.respawn_at.reset();
  m.started_at = st.port->now();
  m.healthy_since.reset();
}

void stop(self_ptr self, managed_cluster& m) {
  m.respawn_at.reset();
  if (!m.actor) return;
  self->state.by_address.erase(m.actor.address());
  self->demonitor(m.actor.address());
  self->send_exit(m.actor, caf::exit_reason::user_shutdown);
  m.actor = nullptr;
}

// Arms the one timer: the next heartbeat or the soonest restart, whichever comes first.
void rearm(self_ptr self) {
  auto& st = self->state;
  const auto now = st.port->now();
  time_point at = now + st.options.heartbeat;
  for (const auto& [key, m] : st.clusters)
    if (m.respawn_at && *m.respawn_at < at) at = *m.respawn_at;
  st.wake->settle(*st.port, handle_of(self),
                  outcome::requeue_after(std::max<std::chrono::milliseconds>(
                      std::chrono::milliseconds(0),
                      std::chrono::duration_cast<std::chrono::milliseconds>(at - now))));
}

void record(self_ptr self, const nlohmann::json& raycluster, const std::string& reason,
            const std::string& message) {
  auto& st = self->state;
  auto w = st.recorder.record(involved_object(raycluster), "Warning", reason, message,
                              st.port->now(), now_rfc3339());
  if (!w) return;
  const uint64_t ticket = st.next_ticket++;
  st.event_writes[ticket] = *w;
  st.port->write(std::move(*w), handle_of(self), ticket);
}

void start_all_when_synced(self_ptr self) {
  auto& st = self->state;
  if (st.started || !st.cache->synced()) return;
  if (st.raycluster_scopes_listed.size() < st.options.scopes.size()) return;
  st.started = true;
  st.options.health->started = true;
  spdlog::info("every watch has listed; reconciling {} RayClusters", st.clusters.size());
  for (auto& [key, m] : st.clusters)
    if (!m.actor && m.latest) start(self, key, m);
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
  const auto now = st.port->now();
  // One that ran well for a while is not in a crash loop: its backoff starts afresh.
  if (m.healthy_since && now - *m.healthy_since >= st.options.healthy_period) m.restarts = 0;
  ++m.restarts;
  if (auto* metrics = st.options.cluster.metrics) metrics->actor_restarted();
  const auto shift = std::min<uint64_t>(m.restarts - 1, 16);
  const std::chrono::milliseconds delay = std::min<std::chrono::milliseconds>(
      st.options.restart_backoff_initial * (int64_t{1} << shift), st.options.restart_backoff_max);
  const std::string reason = self->system().render(dm.reason);
  spdlog::error("RayCluster {}: its actor failed ({}); restart #{} in {} ms", key.str(), reason,
                m.restarts, delay.count());
  if (m.latest)
    record(self, *m.latest, "ReconcilerRestarted",
           "The reconciler of this RayCluster failed (" + reason + ") and is restarted in " +
               std::to_string(delay.count()) + " ms (restart " + std::to_string(m.restarts) +
               " in a row)");
  m.respawn_at = now + delay;
  rearm(self);
}

void remove_cluster(self_ptr self, std::map<cluster_key, managed_cluster>::iterator it) {
  auto& st = self->state;
  stop(self, it->second);
  if (auto* metrics = st.options.cluster.metrics)
    metrics->cluster_gone(it->first.ns, it->first.name,
                          it->second.latest ? k8s::uid(*it->second.latest) : "");
  st.clusters.erase(it);
}

void apply_raycluster(self_ptr self, raycluster_ptr raycluster) {
  auto& st = self->state;
  const auto key = key_of(*raycluster);
  auto [it, added] = st.clusters.try_emplace(key);
  auto& m = it->second;
  m.latest = raycluster;
  if (!st.started) return;
  if (m.actor)
    self->send(m.actor, spec_atom::value, std::move(raycluster));
  else if (!m.respawn_at)
    start(self, key, m);
}

cluster_supervisor_actor::behavior_type supervisor(self_ptr self, api_port* port,
                                                   supervisor_options options) {
  auto& st = self->state;
  st.port = port;
  st.options = options;
  st.cache.emplace(options.child_kinds, options.scopes);
  st.recorder = event_recorder(options.cluster.events);
  st.wake.emplace();
  self->set_down_handler([=](caf::down_msg& dm) { on_down(self, dm); });
  self->set_exit_handler([=](caf::exit_msg& em) {
    for (auto& [key, m] : self->state.clusters) stop(self, m);
    self->quit(em.reason);
  });
  self->attach_functor([port, id = self->id()] { port->forget(id); });
  rearm(self);
  return {
      [=](apply_atom, raycluster_ptr& raycluster) {
        apply_raycluster(self, std::move(raycluster));
        publish(self);
      },
      [=](remove_atom, cluster_key& key) {
        auto it = self->state.clusters.find(key);
        if (it != self->state.clusters.end()) remove_cluster(self, it);
        publish(self);
      },
      [=](resync_atom, std::string& scope, std::vector<raycluster_ptr>& all) {
        auto& s = self->state;
        std::set<cluster_key> present;
        for (const auto& rc : all) present.insert(key_of(*rc));
        for (auto it = s.clusters.begin(); it != s.clusters.end();) {
          auto next = std::next(it);
          if (scope_of(self, it->first.ns) == scope && !present.count(it->first))
            remove_cluster(self, it);
          it = next;
        }
        s.raycluster_scopes_listed.insert(scope);
        for (auto& rc : all) apply_raycluster(self, std::move(rc));
        start_all_when_synced(self);
        publish(self);
      },
      [=](pod_atom, apply_atom a, cluster_key& key, pod_ptr& pod) {
        if (auto left = self->state.cache->apply_pod(key, pod))
          forward(self, *left, pod_atom::value, remove_atom::value, pod);
        forward(self, key, pod_atom::value, a, std::move(pod));
      },
      [=](pod_atom, remove_atom r, cluster_key& key, pod_ptr& pod) {
        self->state.cache->remove_pod(key, pod);
        forward(self, key, pod_atom::value, r, std::move(pod));
      },
      [=](pod_atom, resync_atom, std::string& scope, std::vector<keyed_pod>& all) {
        auto& s = self->state;
        for (const auto& key : s.cache->replace_pods(scope, std::move(all)))
          forward(self, key, pod_atom::value, resync_atom::value, s.cache->pods_of(key));
        start_all_when_synced(self);
        publish(self);
      },
      [=](child_atom, apply_atom a, cluster_key& key, child_ptr& child) {
        if (auto left = self->state.cache->apply_child(key, child))
          forward(self, *left, child_atom::value, remove_atom::value, child);
        forward(self, key, child_atom::value, a, std::move(child));
      },
      [=](child_atom, remove_atom r, cluster_key& key, child_ptr& child) {
        self->state.cache->remove_child(key, child);
        forward(self, key, child_atom::value, r, std::move(child));
      },
      [=](child_atom, resync_atom, std::string& kind, std::string& scope,
          std::vector<keyed_child>& all) {
        auto& s = self->state;
        for (const auto& key : s.cache->replace_children(kind, scope, std::move(all)))
          forward(self, key, child_atom::value, resync_atom::value, kind,
                  s.cache->children_of(key, kind));
        start_all_when_synced(self);
      },
      [=](healthy_atom, cluster_key& key, uint64_t incarnation) {
        auto it = self->state.clusters.find(key);
        if (it != self->state.clusters.end() && it->second.incarnation == incarnation)
          it->second.healthy_since = self->state.port->now();
      },
      [=](written_atom, uint64_t ticket, write_result& r) {
        auto& s = self->state;
        auto it = s.event_writes.find(ticket);
        if (it == s.event_writes.end()) return;
        if (!r.ok()) spdlog::warn("recording an Event failed: {}", r.error->describe());
        auto next = s.recorder.answered(it->second, r.ok() ? nullptr : &*r.error);
        s.event_writes.erase(it);
        if (next) {
          const uint64_t t = s.next_ticket++;
          s.event_writes[t] = *next;
          s.port->write(std::move(*next), handle_of(self), t);
        }
      },
      [=](wake_atom, uint64_t generation) {
        auto& s = self->state;
        if (!s.wake->due(generation)) return;
        const auto now = s.port->now();
        s.options.health->heartbeat_ns =
            std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count();
        for (auto& [key, m] : s.clusters)
          if (m.respawn_at && *m.respawn_at <= now && !m.actor && m.latest && s.started)
            start(self, key, m);
        rearm(self);
      },
      [=](stats_atom) -> uint64_t { return self->state.clusters.size(); },
  };
}

}  // namespace

cluster_supervisor_actor spawn_cluster_supervisor(caf::actor_system& sys, api_port* port,
                                                  supervisor_options options) {
  return sys.spawn(supervisor, port, std::move(options));
}

}  // namespace actors
