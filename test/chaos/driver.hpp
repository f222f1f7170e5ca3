#pragma once
// The chaos soak's driver: in storms, it does what Ray's autoscaler and users do to RayClusters
// (scale up; scale down naming the pods in workersToDelete; edit the spec), fails pods through
// the kubelet simulator's annotation, injects faults through the fault proxy, and SIGKILLs the
// operator (bench/soak.sh starts it again); between storms it goes quiet and has the checker
// expect every cluster to converge. Every action goes straight to the API server.

#include <chrono>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <string>

#include "k8s/client.hpp"
#include "test/chaos/observer.hpp"

namespace chaos {

struct soak_options {
  std::string ns;
  std::chrono::seconds duration{180};
  std::chrono::seconds storm{30};  // each storm; a quiet phase follows until convergence
  std::string proxy_control;       // HOST:PORT of the fault proxy's control endpoint
  std::string operator_pid_file;   // the operator to SIGKILL now and then
  int64_t max_replicas = 8;        // the clusters' maxReplicas (bench/soak.sh's manifests)
  uint64_t seed = 1;
};

class driver {
 public:
  driver(k8s::client& api, observer& checker, soak_options options);
  void run();
  // Storms, actions and faults by kind.
  nlohmann::json summary() const;

 private:
  using time_point = std::chrono::steady_clock::time_point;
  void act();
  void scale_up(const std::string& cluster, int64_t desired);
  void scale_down(const std::string& cluster, int64_t desired);
  void fail_pod(const std::string& cluster);
  void edit(const std::string& cluster);
  void fault();
  void kill_operator();
  bool patch(const std::string& cluster, nlohmann::json json_patch);
  bool proxy(const std::string& command);
  void note_fault_until(std::chrono::seconds from_now);

  k8s::client& api_;
  observer& checker_;
  soak_options options_;
  std::mt19937_64 random_;
  std::map<std::string, int64_t> actions_;
  int64_t storms_ = 0;
  int64_t edits_ = 0;
  double last_fault_end_ = 0;
  std::map<std::string, std::vector<std::string>> named_;  // cluster -> workersToDelete sent
};

}  // namespace chaos
