// chaos: the fault tests' invariant checker and the chaos soak's driver (docs/reliability.md).
//
//   chaos check NAMESPACE REPORT [COMMANDS]
//       watches NAMESPACE's RayClusters and pods until SIGTERM, judging the invariants, and
//       writes REPORT (JSON) every second; COMMANDS is the file the test appends what it did to
//       (test/chaos/observer.hpp)
//   chaos soak NAMESPACE REPORT SECONDS PROXY_CONTROL OPERATOR_PID_FILE [SEED]
//       the same checker, with the driver's storms and quiet phases for SECONDS; exits 1 if
//       any invariant was broken
//
// The API server is reached through the kubeconfig in $KUBECONFIG, directly.
#include <signal.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <fstream>
#include <iostream>
#include <thread>

#include "k8s/client.hpp"
#include "k8s/config.hpp"
#include "test/chaos/driver.hpp"
#include "test/chaos/observer.hpp"

namespace {

std::atomic<bool> stop_requested{false};

int usage() {
  std::cerr
      << "usage: chaos check NAMESPACE REPORT [COMMANDS]\n"
         "       chaos soak NAMESPACE REPORT SECONDS PROXY_CONTROL OPERATOR_PID_FILE [SEED]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) return usage();
  const std::string mode = argv[1], ns = argv[2], report = argv[3];
  if (mode != "check" && mode != "soak") return usage();
  if (mode == "soak" && argc < 7) return usage();
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%fZ %l %v", spdlog::pattern_time_type::utc);
  try {
    k8s::client_options o;
    o.qps = 0;  // the checker and driver are never held back by a limiter of their own
    k8s::client api(k8s::load_default_config(), o);
    chaos::checker_options judged;
    // Seen in a 60-minute soak: a pod the operator made 13 ms after a scale-up reached the pod
    // watch before the scale-up reached the RayCluster watch. 2 s is far more than that lag.
    judged.watch_skew = 2.0;
    chaos::observer checker(api, ns, report, mode == "check" && argc > 4 ? argv[4] : "", judged);
    checker.start();
    spdlog::info("chaos: watching {}", ns);
    if (mode == "check") {
      ::signal(SIGTERM, [](int) { stop_requested = true; });
      ::signal(SIGINT, [](int) { stop_requested = true; });
      while (!stop_requested) std::this_thread::sleep_for(std::chrono::milliseconds(100));
      checker.stop();
      checker.flush();
      std::ofstream(report) << checker.report().dump(2) << "\n";
      return 0;
    }
    chaos::soak_options s;
    s.ns = ns;
    s.duration = std::chrono::seconds(std::stol(argv[4]));
    s.proxy_control = argv[5];
    s.operator_pid_file = argv[6];
    if (argc > 7) s.seed = std::stoull(argv[7]);
    chaos::driver driver(api, checker, s);
    driver.run();
    std::this_thread::sleep_for(std::chrono::seconds(2));  // the last quiet phase's last tick
    checker.stop();
    checker.flush();
    auto r = checker.report();
    r["soak"] = driver.summary();
    std::ofstream(report) << r.dump(2) << "\n";
    return r["violations"].empty() ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "chaos: " << e.what() << std::endl;
    return 2;
  }
}
