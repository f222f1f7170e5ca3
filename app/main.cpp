// ray-operator: flags, configuration, the actor system, the watches, and a clean shutdown.

#include <signal.h>
#include <spdlog/spdlog.h>

#include <unistd.h>

#include <caf/all.hpp>
#include <chrono>
#include <future>
#include <iostream>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "actors/cluster_supervisor.hpp"
#include "actors/k8s_port.hpp"
#include "actors/operator_metrics.hpp"
#include "actors/watch_hub.hpp"
#include "app/http_endpoints.hpp"
#include "app/leader_election.hpp"
#include "app/logging.hpp"
#include "app/options.hpp"
#include "k8s/client.hpp"
#include "k8s/config.hpp"

#ifndef RAY_OPERATOR_VERSION
#define RAY_OPERATOR_VERSION "0.0.0"
#endif

namespace {

// Waits up to `timeout` for SIGTERM or SIGINT (blocked in every thread, see main); returns the
// signal number, or 0 on timeout.
int wait_for_signal(const sigset_t& signals, std::chrono::milliseconds timeout) {
  timespec ts{static_cast<time_t>(timeout.count() / 1000),
              static_cast<long>((timeout.count() % 1000) * 1'000'000)};
  const int sig = sigtimedwait(&signals, nullptr, &ts);
  return sig > 0 ? sig : 0;
}

// The operator needs its CRD; until it is installed, say so plainly and keep checking. Gives
// the group versions the server serves, or nothing when a signal came first.
std::optional<std::set<std::string>> wait_for_crd(k8s::client& api, const sigset_t& signals) {
  for (int attempt = 0, unreachable = 0;; ++attempt) {
    std::promise<k8s::result<std::set<std::string>>> p;
    auto f = p.get_future();
    api.server_group_versions(
        [&p](k8s::result<std::set<std::string>> r) { p.set_value(std::move(r)); });
    auto r = f.get();
    if (r && r.value().count("ray.io/v1")) return std::move(r.value());
    // A server that could not be reached is asked again after a second (the client has
    // already retried with its backoff): a restart that meets an outage starts within a second
    // of the server's return, not up to 5 s after it. Said every 5 tries.
    if (!r && unreachable++ % 5 == 0)
      spdlog::error("cannot reach the API server at {}: {}", api.cfg().server,
                    r.error().describe());
    else if (r && attempt % 6 == 0)
      spdlog::error(
          "the RayCluster CRD (rayclusters.ray.io, version v1) is not installed; "
          "install it with: kubectl apply -f crds/ray.io_rayclusters.yaml");
    if (wait_for_signal(signals, r ? std::chrono::seconds(5) : std::chrono::seconds(1)))
      return std::nullopt;
  }
}

// CAF's scheduler defaults suit a busy server: at least 4 workers, each polling for work 500
// times with 50 us sleeps before it rests. An operator's work comes in bursts with idle gaps
// between them, and there that polling alone (thousands of sleeps and wake-ups a second per
// worker) cost more CPU than reconciling. Here: one worker per core; a worker out of work
// spins briefly, then waits on its condition variable, which a new job signals at once (and
// which it leaves every 10 ms to steal from a busy peer).
caf::actor_system_config& caf_config() {
  static caf::actor_system_config cfg;
  static bool once = [] {
    cfg.set("scheduler.max-threads", std::max<size_t>(2, std::thread::hardware_concurrency()));
    cfg.set("work-stealing.aggressive-poll-attempts", 50);
    cfg.set("work-stealing.aggressive-steal-interval", 10);
    cfg.set("work-stealing.moderate-poll-attempts", 0);
    cfg.set("work-stealing.relaxed-steal-interval", 1);
    cfg.set("work-stealing.relaxed-sleep-duration", caf::timespan{std::chrono::milliseconds(10)});
    return true;
  }();
  (void)once;
  return cfg;
}

// Watches the singletons (the supervisor): if one fails, the process cannot go on correctly,
// so it says why and shuts down with an error, and Kubernetes restarts the pod, which relists
// everything.
caf::behavior guardian(caf::event_based_actor* self, std::vector<caf::actor> watched,
                       std::shared_ptr<std::atomic<bool>> failed) {
  for (auto& a : watched) self->monitor(a);
  self->set_down_handler([=](caf::down_msg& dm) {
    if (dm.reason == caf::exit_reason::user_shutdown) return;
    spdlog::critical("the cluster supervisor failed ({}); shutting down to be restarted",
                     self->system().render(dm.reason));
    *failed = true;
    kill(getpid(), SIGTERM);
  });
  return {[](actors::stats_atom) {}};
}

int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

int main(int argc, char** argv) {
  const auto outcome = app::parse_options(argc, argv);
  if (!outcome.parsed) {
    std::cerr << "ray-operator: " << outcome.error << "\n(see ray-operator --help)\n";
    return 2;
  }
  const auto& opts = *outcome.parsed;
  if (opts.show_help) {
    std::cout << outcome.help;
    return 0;
  }
  if (opts.show_version) {
    std::cout << "ray-operator " << RAY_OPERATOR_VERSION << "\n";
    return 0;
  }
  app::setup_logging(opts.log_level, opts.log_format);

  // Signals are taken synchronously by the main thread; every thread started later inherits
  // the blocked mask, so none of them is interrupted by one.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  k8s::config cfg;
  try {
    cfg = k8s::load_default_config(opts.kubeconfig, opts.context);
  } catch (const k8s::config_error& e) {
    spdlog::error("configuration: {}", e.what());
    return 1;
  }
  // The identity names this process in the Lease and, through the User-Agent, in the API
  // server's audit log.
  const std::string identity = app::default_identity();
  k8s::client_options client_opts;
  client_opts.qps = opts.qps;
  client_opts.burst = opts.burst;
  client_opts.transport.request_timeout = std::chrono::seconds(opts.request_timeout_seconds);
  client_opts.transport.user_agent =
      std::string("ray-operator/") + RAY_OPERATOR_VERSION + " (" + identity + ")";
  std::unique_ptr<k8s::client> api, events_api;
  try {
    api = std::make_unique<k8s::client>(cfg, client_opts);
    // The Events' own client (actors/k8s_port.cpp): a few requests in flight of their own, the
    // main client's limiter. A scale-up records an Event per pod; on the main client they took
    // half its slots from the creates, and the creates went at half the rate the API server
    // allows.
    k8s::client_options events_opts = client_opts;
    events_opts.max_in_flight = 4;
    events_opts.completion_threads = 1;
    events_opts.limiter = api->shared_limiter();
    events_api = std::make_unique<k8s::client>(cfg, events_opts);
  } catch (const k8s::config_error& e) {
    spdlog::error("configuration: {}", e.what());
    return 1;
  }
  spdlog::info("ray-operator {} starting: API server {} ({}), namespaces: {}", RAY_OPERATOR_VERSION,
               cfg.server, cfg.origin,
               opts.namespaces.empty() ? std::string("all")
                                       : fmt::format("{}", fmt::join(opts.namespaces, ",")));
  actors::operator_metrics metrics;
  for (auto* c : {api.get(), events_api.get()})
    c->set_observer([&metrics](const k8s::request_record& r) { metrics.observe_request(r); });

  // What the probes and /metrics read: atomics and heartbeats, never a question to an actor.
  std::atomic<bool> leading{!opts.leader_elect};
  std::atomic<bool> running{false};
  std::atomic<actors::watch_hub*> hub_ptr{nullptr};
  std::atomic<actors::k8s_port*> port_ptr{nullptr};
  auto health = std::make_shared<actors::supervisor_health>();
  const auto healthz = [&]() -> app::probe_result {
    if (!running) return {true, "ok: " + std::string(leading ? "starting" : "standing by")};
    const int64_t now = steady_ns();
    const int64_t beat = health->heartbeat_ns;
    constexpr int64_t supervisor_limit_ns = 30'000'000'000;
    if (beat != 0 && now - beat > supervisor_limit_ns)
      return {false, "the cluster supervisor has not run for " +
                         std::to_string((now - beat) / 1'000'000'000) + " s"};
    if (auto* port = port_ptr.load();
        port && port->stalled(std::chrono::steady_clock::now(), std::chrono::seconds(300)))
      return {false, std::to_string(port->in_flight()) +
                         " API writes have had no answer for more than 300 s"};
    if (auto* hub = hub_ptr.load()) {
      const std::string stuck = hub->stuck_watch();
      if (!stuck.empty()) return {false, "the watch of " + stuck + " is stuck past its deadline"};
    }
    return {true, "ok"};
  };
  const auto readyz = [&]() -> app::probe_result {
    if (!leading) return {true, "ok: standing by for leadership"};
    auto* hub = hub_ptr.load();
    if (!hub || !hub->synced()) return {false, "watches not synced yet"};
    return {true, "ok"};
  };
  const auto scrape = [&]() -> std::string {
    metrics.set_leader(leading);
    if (auto* hub = hub_ptr.load()) {
      metrics.set_watch_counts(hub->watch_restarts(), hub->relists());
      for (const auto& w : hub->progress())
        metrics.set_watch_progress(w.resource, w.scope, w.seconds_since_last_event, w.events);
    }
    metrics.set_managed(health->clusters, health->pods);
    metrics.set_requests("main", api->requests_in_flight(), api->requests_waiting());
    metrics.set_requests("events", events_api->requests_in_flight(),
                         events_api->requests_waiting());
    return metrics.serialize();
  };
  std::unique_ptr<app::http_endpoints> endpoints;
  try {
    endpoints = std::make_unique<app::http_endpoints>(opts.metrics_addr, opts.health_addr, scrape,
                                                      healthz, readyz);
  } catch (const std::exception& e) {
    spdlog::error("cannot serve metrics or health endpoints: {}", e.what());
    return 1;
  }

  const auto served = wait_for_crd(*api, signals);
  if (!served) return 0;
  // autoscaling/v2 from 1.23; v2beta2 (the same object) on older servers.
  const k8s::resource& hpa = served->count("autoscaling/v2")
                                 ? k8s::resources::horizontalpodautoscalers_v2
                                 : k8s::resources::horizontalpodautoscalers_v2beta2;
  spdlog::info("HorizontalPodAutoscalers through {}", hpa.api_version());
  // tlsOptions' certificates come from cert-manager, when the server has it.
  const bool cert_manager = served->count("cert-manager.io/v1") > 0;
  spdlog::info("cert-manager.io/v1 is {}served", cert_manager ? "" : "not ");

  // Leader election has a client of its own: its own small token bucket, no retries, and a
  // timeout well under the renew deadline, so nothing the reconcilers do can delay a renewal.
  std::unique_ptr<k8s::client> election_api;
  std::unique_ptr<app::leader_elector> elector;
  if (opts.leader_elect) {
    app::leader_election_options le;
    le.ns = !opts.leader_election_namespace.empty() ? opts.leader_election_namespace
                                                    : cfg.default_namespace;
    le.name = opts.leader_election_id;
    le.identity = identity;
    k8s::client_options election_opts;
    election_opts.qps = 5;
    election_opts.burst = 10;
    election_opts.max_retries = 0;
    election_opts.completion_threads = 1;
    election_opts.transport.request_timeout = le.attempt_timeout;
    election_opts.transport.user_agent = client_opts.transport.user_agent;
    election_api = std::make_unique<k8s::client>(cfg, election_opts);
    elector = std::make_unique<app::leader_elector>(*election_api, le);
    elector->start([&leading] { leading = true; },
                   [] {
                     // Never two writers: stop at once, before the lease can expire.
                     spdlog::error("leadership lost; exiting");
                     spdlog::default_logger()->flush();
                     std::_Exit(1);
                   });
    int sig = 0;
    while (!leading && (sig = wait_for_signal(signals, std::chrono::milliseconds(200))) == 0) {
    }
    if (sig) {
      spdlog::info("received {} while standing by, shutting down",
                   sig == SIGTERM ? "SIGTERM" : "SIGINT");
      elector->stop();
      return 0;
    }
  }

  auto failed = std::make_shared<std::atomic<bool>>(false);
  {
    caf::actor_system sys{caf_config()};
    actors::k8s_port port(*api, events_api.get());
    actors::supervisor_options sup_opts;
    sup_opts.cluster.fault_injection = opts.fault_injection;
    sup_opts.cluster.redis_cleanup = opts.gcs_ft_redis_cleanup;
    if (opts.fault_injection) sup_opts.cluster.test_pod_env = opts.test_pod_env;
    sup_opts.cluster.metrics = &metrics;
    sup_opts.cluster.hpa = hpa;
    sup_opts.cluster.cert_manager = cert_manager;
    if (cert_manager)
      for (const char* kind : {"Issuer", "Certificate"}) sup_opts.child_kinds.push_back(kind);
    sup_opts.health = health;
    if (!opts.namespaces.empty()) sup_opts.scopes = opts.namespaces;
    auto supervisor = actors::spawn_cluster_supervisor(sys, &port, sup_opts);
    auto guard = sys.spawn(
        guardian, std::vector<caf::actor>{caf::actor_cast<caf::actor>(supervisor)}, failed);
    actors::watch_hub hub(*api, supervisor, opts.namespaces, hpa, {}, cert_manager);
    hub.start();
    port_ptr = &port;
    hub_ptr = &hub;
    running = true;
    spdlog::info("watching RayClusters");

    int sig = 0;
    while ((sig = wait_for_signal(signals, std::chrono::seconds(60))) == 0) {
    }
    if (!*failed) spdlog::info("received {}, shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    running = false;
    hub_ptr = nullptr;
    hub.stop();
    caf::anon_send_exit(guard, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(supervisor, caf::exit_reason::user_shutdown);
    {
      caf::scoped_actor self{sys};
      self->wait_for(supervisor, guard);
    }
    // The cluster actors end after the supervisor; they still touch the port as they do.
    sys.await_all_actors_done();
    port_ptr = nullptr;
    // Calls still in flight answer actors that have ended; the client waits for them while the
    // actor system still exists to take (and drop) those answers.
    api.reset();
    events_api.reset();
  }
  endpoints.reset();
  if (elector) elector->stop();
  spdlog::info("stopped");
  return *failed ? 1 : 0;
}
