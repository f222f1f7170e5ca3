// ray-operator: flags, configuration, the actor system, the watches, and a clean shutdown.

#include <signal.h>
#include <spdlog/spdlog.h>

#include <caf/all.hpp>
#include <chrono>
#include <future>
#include <iostream>
#include <mutex>

#include "actors/api_writer.hpp"
#include "actors/cluster_supervisor.hpp"
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

// The operator needs its CRD; until it is installed, say so plainly and keep checking.
bool wait_for_crd(k8s::client& api, const sigset_t& signals) {
  for (int attempt = 0;; ++attempt) {
    std::promise<k8s::result<std::set<std::string>>> p;
    auto f = p.get_future();
    api.server_group_versions(
        [&p](k8s::result<std::set<std::string>> r) { p.set_value(std::move(r)); });
    auto r = f.get();
    if (r && r.value().count("ray.io/v1")) return true;
    if (!r)
      spdlog::error("cannot reach the API server at {}: {}", api.cfg().server,
                    r.error().describe());
    else if (attempt % 6 == 0)
      spdlog::error(
          "the RayCluster CRD (rayclusters.ray.io, version v1) is not installed; "
          "install it with: kubectl apply -f crds/ray.io_rayclusters.yaml");
    if (wait_for_signal(signals, std::chrono::seconds(5))) return false;
  }
}

caf::actor_system_config& caf_config() {
  static caf::actor_system_config cfg;
  return cfg;
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
  k8s::client_options client_opts;
  client_opts.qps = opts.qps;
  client_opts.burst = opts.burst;
  client_opts.transport.user_agent = std::string("ray-operator/") + RAY_OPERATOR_VERSION;
  std::unique_ptr<k8s::client> api;
  try {
    api = std::make_unique<k8s::client>(cfg, client_opts);
  } catch (const k8s::config_error& e) {
    spdlog::error("configuration: {}", e.what());
    return 1;
  }
  spdlog::info("ray-operator {} starting: API server {} ({}), namespaces: {}", RAY_OPERATOR_VERSION,
               cfg.server, cfg.origin,
               opts.namespaces.empty() ? std::string("all")
                                       : fmt::format("{}", fmt::join(opts.namespaces, ",")));
  actors::operator_metrics metrics;
  api->set_observer([&metrics](const k8s::request_record& r) { metrics.observe_request(r); });

  // What the probes and /metrics read; set once the actors run.
  std::atomic<bool> leading{!opts.leader_elect};
  std::atomic<actors::watch_hub*> hub_ptr{nullptr};
  std::unique_ptr<caf::actor_system> sys;
  actors::cluster_supervisor_actor supervisor;
  std::mutex running_mutex;  // guards `supervisor` while the probes read it

  std::shared_ptr<std::atomic<uint64_t>> managed_clusters =
      std::make_shared<std::atomic<uint64_t>>(0);
  const auto healthz = [&]() -> app::probe_result {
    actors::cluster_supervisor_actor sup;
    {
      std::lock_guard<std::mutex> lock(running_mutex);
      sup = supervisor;
    }
    if (!sup) return {true, "ok: " + std::string(leading ? "starting" : "standing by")};
    // The actor system is responsive when the supervisor answers in time.
    auto probe = std::make_shared<actors::liveness_probe>();
    caf::anon_send(sup, actors::ping_atom::value, probe);
    const bool answered = probe->wait(std::chrono::seconds(2));
    return {answered, answered ? "ok" : "the actor system did not answer within 2 s"};
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
      metrics.set_managed(*managed_clusters, hub->pods());
    }
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

  if (!wait_for_crd(*api, signals)) return 0;

  std::unique_ptr<app::leader_elector> elector;
  if (opts.leader_elect) {
    app::leader_election_options le;
    le.ns = !opts.leader_election_namespace.empty() ? opts.leader_election_namespace
                                                    : cfg.default_namespace;
    le.name = opts.leader_election_id;
    elector = std::make_unique<app::leader_elector>(*api, le);
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

  {
    sys = std::make_unique<caf::actor_system>(caf_config());
    auto writer = actors::spawn_api_writer(*sys, *api);
    actors::supervisor_options sup_opts;
    sup_opts.cluster.fault_injection = opts.fault_injection;
    sup_opts.cluster.metrics = &metrics;
    sup_opts.managed = managed_clusters;
    {
      std::lock_guard<std::mutex> lock(running_mutex);
      supervisor = actors::spawn_cluster_supervisor(*sys, writer, api.get(), sup_opts);
    }
    actors::watch_hub hub(*api, supervisor, opts.namespaces);
    hub.start();
    hub_ptr = &hub;
    spdlog::info("watching RayClusters");

    int sig = 0;
    while ((sig = wait_for_signal(signals, std::chrono::seconds(60))) == 0) {
    }
    spdlog::info("received {}, shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    hub_ptr = nullptr;
    hub.stop();
    caf::anon_send_exit(supervisor, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(writer, caf::exit_reason::user_shutdown);
    {
      caf::scoped_actor self{*sys};
      self->wait_for(supervisor, writer);
    }
    {
      std::lock_guard<std::mutex> lock(running_mutex);
      supervisor = nullptr;
    }
    sys.reset();
  }
  endpoints.reset();
  if (elector) elector->stop();
  api.reset();
  spdlog::info("stopped");
  return 0;
}
