#pragma once
// What the operator keeps of each observed child: a few fields reduced from the full object on
// arrival, never the object itself (a Pod's JSON is 10–100 KB; this is well under 1 KB).

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ray {

struct observed_pod {
  std::string name;
  std::string uid;
  std::string resource_version;
  std::string group;           // ray.io/group label: "headgroup" or the worker group's name
  bool is_head = false;        // ray.io/node-type == head
  std::string phase;           // Pending, Running, Succeeded, Failed, Unknown
  bool ready = false;          // condition Ready == True
  bool deleting = false;       // metadata.deletionTimestamp is set
  bool unschedulable = false;  // condition PodScheduled == False with reason Unschedulable
  bool ray_container_terminated = false;  // the Ray container (spec.containers[0], looked up
                                          // by name in containerStatuses) is terminated
  std::string restart_policy;             // spec.restartPolicy ("Always" when absent)
  std::string pod_ip;
  std::string node_name;
  std::string not_ready_reason;  // first waiting/terminated reason (e.g. CrashLoopBackOff)
  std::string creation_timestamp;
  // What the user's spec was when the pod was made (updates.hpp); empty on a pod made before
  // pods recorded it, which therefore counts as outdated.
  std::string group_hash;
  std::string cluster_hash;
  // Kind of its controller: RayCluster (the operator's own pods), StatefulSet, ReplicaSet.
  std::string owner_kind;
};

struct observed_service {
  std::string name;
  std::string uid;
  std::string cluster_ip;                          // "None" for a headless service
  std::vector<std::pair<std::string, int>> ports;  // named ports: name -> port (nodePort if set)
};

// Reductions of full objects as they come from the API server. Malformed input gives empty
// fields, never an exception.
observed_pod reduce_pod(const nlohmann::json& pod);
observed_service reduce_service(const nlohmann::json& service);

// KubeRay's health policy: a pod to delete (and replace if still wanted) is one that is Failed
// or Succeeded, or whose Ray container terminated while restartPolicy is Never.
bool should_replace(const observed_pod& pod);

}  // namespace ray
