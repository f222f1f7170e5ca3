// kubelet-sim: the scheduler and kubelets of a control plane that has neither, for the sandbox.
// See docs/kubelet-simulator.md.
#include <signal.h>

#include <atomic>
#include <condition_variable>
#include <iostream>
#include <mutex>
#include <optional>
#include <thread>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <boost/program_options.hpp>

#include "k8s/config.hpp"
#include "k8s/quantity.hpp"
#include "sandbox/kubelet_sim/engine.hpp"

namespace po = boost::program_options;

namespace {

// The text the API server writes back for a quantity, so the node status we compare against
// is the one we would write.
std::string canonical_quantity(const std::string& flag, const std::string& text) {
  auto q = k8s::quantity::parse(text);
  if (!q || q.value().is_negative() || q.value().is_zero())
    throw po::error("--" + flag + " must be a positive quantity, not \"" + text + "\"");
  return q.value().to_string();
}

struct parsed {
  std::string kubeconfig;
  std::string log_level;
  kubelet_sim::sim_options sim;
};

// Empty when --help was asked for (and printed).
std::optional<parsed> parse(int argc, char** argv) {
  parsed p;
  int64_t delay_ms = 500;
  po::options_description desc("kubelet-sim options");
  desc.add_options()("help,h", "show this help")("kubeconfig", po::value(&p.kubeconfig)->required(),
                                                 "kubeconfig of the cluster (required)")(
      "nodes", po::value(&p.sim.nodes)->default_value(3), "number of nodes to simulate")(
      "node-cpu", po::value(&p.sim.node_cpu)->default_value("8"), "CPU of each node")(
      "node-memory", po::value(&p.sim.node_memory)->default_value("32Gi"), "memory of each node")(
      "node-pods", po::value(&p.sim.node_pods)->default_value(110),
      "pods each node takes (the kubelet's maxPods)")("node-gpu",
                                                      po::value(&p.sim.node_gpu)->default_value(0),
                                                      "nvidia.com/gpu of each node (0: none)")(
      "node-prefix", po::value(&p.sim.node_prefix)->default_value("sim-node-"),
      "node names are this prefix and 0, 1, ...")("start-delay-ms",
                                                  po::value(&delay_ms)->default_value(500),
                                                  "time from binding a pod to it running")(
      "log-level", po::value(&p.log_level)->default_value("info"),
      "trace, debug, info, warn, error");
  po::variables_map vm;
  po::store(po::parse_command_line(argc, argv, desc), vm);
  if (vm.count("help")) {
    std::cout << "Usage: kubelet-sim --kubeconfig PATH [options]\n\n" << desc;
    return std::nullopt;
  }
  po::notify(vm);
  if (p.sim.nodes < 1 || p.sim.nodes > 5000) throw po::error("--nodes must be 1..5000");
  if (p.sim.node_gpu < 0) throw po::error("--node-gpu must not be negative");
  if (p.sim.node_pods < 1) throw po::error("--node-pods must be positive");
  if (delay_ms < 0) throw po::error("--start-delay-ms must not be negative");
  p.sim.start_delay = std::chrono::milliseconds(delay_ms);
  p.sim.node_cpu = canonical_quantity("node-cpu", p.sim.node_cpu);
  p.sim.node_memory = canonical_quantity("node-memory", p.sim.node_memory);
  if (spdlog::level::from_str(p.log_level) == spdlog::level::off && p.log_level != "off")
    throw po::error("unknown --log-level " + p.log_level);
  return p;
}

}  // namespace

int main(int argc, char** argv) {
  std::optional<parsed> opts;
  try {
    opts = parse(argc, argv);
    if (!opts) return 0;
  } catch (const po::error& e) {
    std::cerr << "kubelet-sim: " << e.what() << "\n(see kubelet-sim --help)\n";
    return 2;
  }
  auto logger = spdlog::stderr_color_mt("kubelet-sim");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%L%$ %v");
  spdlog::set_level(spdlog::level::from_str(opts->log_level));

  // Blocked before any thread starts, so every thread inherits the mask and the signals wait
  // for the one thread that takes them with sigwait.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::mutex m;
  std::condition_variable cv;
  std::atomic<bool> stop{false};
  std::atomic<bool> exiting{false};
  std::atomic<bool> signalled{false};
  std::thread waiter([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    signalled = true;
    if (!exiting) spdlog::info("signal {}: stopping", sig);
    std::lock_guard<std::mutex> lock(m);
    stop = true;
    cv.notify_all();
  });
  const auto finish = [&](int code) {
    exiting = true;
    if (!signalled) kill(getpid(), SIGTERM);  // wakes the waiter, blocked in sigwait
    waiter.join();
    return code;
  };

  k8s::config cfg;
  try {
    cfg = k8s::load_kubeconfig(opts->kubeconfig);
  } catch (const std::exception& e) {
    spdlog::error("loading {}: {}", opts->kubeconfig, e.what());
    return finish(1);
  }
  kubelet_sim::engine sim(std::move(cfg), opts->sim);
  if (sim.start([&] { return stop.load(); })) {
    std::unique_lock<std::mutex> lock(m);
    cv.wait(lock, [&] { return stop.load(); });
  }
  sim.stop();
  spdlog::info("stopped");
  return finish(0);
}
