#pragma once
// Feeds the invariants from watches of one namespace's RayClusters and pods (straight to the API
// server, never through the fault proxy), ticks them every second, and writes their report to a
// file each time (replaced whole, so a reader never sees half of one).
//
// A test that runs the checker as a process of its own tells it what it did through a commands
// file it appends lines to, read at every tick:
//   fault-start EPOCH        a fault began
//   fault-end EPOCH          it ended (status and convergence deadlines run from here)
//   expect EPOCH             every cluster must converge within the deadline of EPOCH
//   failed NAMESPACE/NAME    the test made this pod fail

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "k8s/client.hpp"
#include "k8s/watcher.hpp"
#include "test/chaos/invariants.hpp"

namespace chaos {

double epoch_now();

class observer {
 public:
  observer(k8s::client& api, std::string ns, std::string report_file, std::string commands_file,
           checker_options options = {});
  ~observer();

  void start();  // returns once both watches have listed
  void stop();

  // Runs `f` on the invariants under the observer's lock.
  template <class F>
  auto with(F f) {
    std::lock_guard<std::mutex> lock(mutex_);
    return f(invariants_);
  }
  nlohmann::json report();
  void flush();  // every held judgment, before the last report

 private:
  void on_event(bool pods, k8s::watcher_event e);
  void ticks();
  void read_commands();

  k8s::client& api_;
  std::string ns_, report_file_, commands_file_;
  std::mutex mutex_;
  invariants invariants_;
  std::vector<nlohmann::json> relist_pods_, relist_clusters_;
  std::unique_ptr<k8s::watcher> pods_, clusters_;
  size_t commands_read_ = 0;  // bytes of the commands file already taken
  std::atomic<bool> stopping_{false};
  std::thread ticker_;
};

}  // namespace chaos
