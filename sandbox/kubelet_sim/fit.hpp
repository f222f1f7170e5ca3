#pragma once
// The default scheduler's fit decision in miniature: what a pod asks for, what a node has left,
// and which node a pod goes to. Enough to spread pods over the simulated nodes and to leave the
// ones that fit nowhere Pending with the message the real scheduler gives.

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace kubelet_sim {

inline constexpr const char* gpu_resource = "nvidia.com/gpu";

struct amounts {
  int64_t cpu_milli = 0;
  int64_t memory = 0;  // bytes
  int64_t gpu = 0;
  int64_t pods = 0;

  amounts& operator+=(const amounts& o);
  bool operator==(const amounts& o) const;
};

// A ResourceList ({"cpu": "500m", "memory": "1Gi", ...}). Other resource names, malformed and
// negative quantities count as zero: the API server has validated what reaches us.
amounts parse_resource_list(const nlohmann::json& list);

// One container: each resource's request, or its limit when no request is given (the API
// server defaults requests so, but a pod written before that defaulting may lack it).
amounts container_requests(const nlohmann::json& container);

// What the scheduler charges a node for a pod: per resource, the larger of the largest init
// container (they run one at a time) and the sum of the containers, plus spec.overhead, and
// one pod.
amounts pod_requests(const nlohmann::json& pod_spec);

using label_map = std::map<std::string, std::string>;

struct node_candidate {
  std::string name;
  bool ready = false;
  bool unschedulable = false;
  label_map labels;
  amounts allocatable;
  amounts used;  // by the non-terminated pods bound to it
};

// Why a pod with `request` and `node_selector` cannot go to `node`, in the scheduler's words
// ("Insufficient cpu", "Too many pods"); empty when it fits.
std::vector<std::string> misfits(const amounts& request, const label_map& node_selector,
                                 const node_candidate& node);

struct placement {
  std::string node;     // empty: it fits nowhere
  std::string message;  // then: "0/3 nodes are available: 3 Insufficient cpu."
};

// Among the nodes it fits, the one with the most CPU left (then the fewest pods, the most
// memory left, the first name): the default scheduler's least-allocated spreading, roughly.
placement place(const amounts& request, const label_map& node_selector,
                const std::vector<node_candidate>& nodes);

}  // namespace kubelet_sim
