#pragma once
// The few facts about a pod the simulator decides on, read once from its JSON. The status is
// kept whole: every write is compared with it first, so nothing already true is written again.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sandbox/kubelet_sim/faults.hpp"
#include "sandbox/kubelet_sim/fit.hpp"

namespace kubelet_sim {

struct container_info {
  std::string name;
  std::string image;
};

struct pod_view {
  std::string ns, name, uid;
  uint64_t resource_version = 0;
  std::string created;  // creationTimestamp: pods are scheduled first come, first served
  std::string node_name;
  std::string phase;
  bool deleting = false;
  std::string restart_policy;  // Always, OnFailure, Never
  amounts requests;
  label_map node_selector;
  std::vector<container_info> containers;  // spec order
  std::vector<container_info> init_containers;
  pod_faults faults;
  nlohmann::json status = nlohmann::json::object();

  bool terminated() const { return phase == "Succeeded" || phase == "Failed"; }
  std::string key() const { return ns + "/" + name; }
};

pod_view pod_view_of(const nlohmann::json& pod);

// metadata.resourceVersion as a number, 0 when absent or not numeric. The API server calls it
// opaque, but etcd-backed versions are increasing integers, which lets a write's response and a
// watch event be ordered.
uint64_t resource_version_number(const nlohmann::json& object);

// status.podIP and every status.podIPs[].ip.
std::vector<std::string> pod_ips(const nlohmann::json& pod_status);

}  // namespace kubelet_sim
