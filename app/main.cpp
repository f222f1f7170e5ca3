// ray-operator: flags, configuration, the actor system, the watches, and a clean shutdown.

#include <signal.h>
#include <spdlog/spdlog.h>

#include <caf/all.hpp>
#include <chrono>
#include <future>
#include <iostream>

#include "actors/api_writer.hpp"
#include "actors/cluster_supervisor.hpp"
#include "actors/watch_hub.hpp"
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
  if (!wait_for_crd(*api, signals)) return 0;

  {
    caf::actor_system_config caf_cfg;
    caf::actor_system sys{caf_cfg};
    auto writer = actors::spawn_api_writer(sys, *api);
    actors::supervisor_options sup_opts;
    sup_opts.cluster.fault_injection = opts.fault_injection;
    auto supervisor = actors::spawn_cluster_supervisor(sys, writer, api.get(), sup_opts);
    actors::watch_hub hub(*api, supervisor, opts.namespaces);
    hub.start();
    spdlog::info("watching RayClusters");

    int sig = 0;
    while ((sig = wait_for_signal(signals, std::chrono::seconds(60))) == 0) {
    }
    spdlog::info("received {}, shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    hub.stop();
    caf::anon_send_exit(supervisor, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(writer, caf::exit_reason::user_shutdown);
    caf::scoped_actor self{sys};
    self->wait_for(supervisor, writer);
  }
  api.reset();
  spdlog::info("stopped");
  return 0;
}
