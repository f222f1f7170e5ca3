#pragma once
// The Node objects the simulator registers, the status a kubelet posts for them, and the
// Lease it renews. Like pod statuses, a node status is built from the current one so that
// transition times survive and an unchanged node compares equal.

#include <nlohmann/json.hpp>
#include <string>

namespace kubelet_sim {

struct node_params {
  std::string name;
  std::string internal_ip;
  std::string cpu;     // canonical quantity text, as the API server writes it back
  std::string memory;  // canonical quantity text
  int64_t gpu = 0;
  std::string kubelet_version;
  int64_t pods = 110;  // the kubelet's default maxPods
};

// Label values a registered node must carry.
nlohmann::json node_labels(const node_params& p);

// The Node to create: name, labels and a status that is Ready from the start.
nlohmann::json node_object(const node_params& p, const std::string& now);

// Capacity, allocatable, conditions, addresses and nodeInfo. Conditions keep their transition
// times from `current`, and their heartbeat times too unless `beat` (then they become `now`).
nlohmann::json node_status(const node_params& p, const nlohmann::json& current, bool ready,
                           const std::string& now, bool beat);

// The node's Lease in kube-node-lease, owned by the Node so it goes away with it.
nlohmann::json lease_object(const std::string& node, const std::string& node_uid,
                            const std::string& renew_micro_time);
// The merge patch that renews it.
nlohmann::json lease_renewal(const std::string& node, const std::string& renew_micro_time);

inline constexpr int lease_duration_seconds = 40;
inline constexpr const char* node_lease_namespace = "kube-node-lease";

}  // namespace kubelet_sim
