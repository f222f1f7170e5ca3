#pragma once
// What a pod was made from, and how a change of it reaches running pods.
//
// Each pod records a hash of what the *user* wrote for its group — never of the pod the
// operator derives from it — so a new operator version that derives pods differently (a new
// env var, a probe) restarts nothing, and a pod is "outdated" exactly when the user changed
// its group. The hashes are taken over the RayCluster as stored: what the user wrote, plus the
// defaults the operator wrote into it once, before the head started (those are never
// rewritten, so they cannot move a hash later).
//
// spec.upgradeStrategy (and workerGroupSpecs[].upgradeStrategy, per group) decides what an
// outdated pod becomes:
//   None (the default, KubeRay's): nothing is replaced; status counts the outdated pods.
//   Recreate (KubeRay v1.6's): every pod of the cluster, the head included, is deleted and
//     created again as soon as any pod is outdated.
//   RollingUpdate: the head first and alone, then each group's workers within maxUnavailable
//     unready and maxSurge extra pods.

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

namespace ray {

// Annotations every Ray pod carries (on the head through its StatefulSet's template).
constexpr const char* annotation_group_spec_hash = "ray.io/group-spec-hash";
constexpr const char* annotation_cluster_spec_hash = "ray.io/cluster-spec-hash";

struct spec_hashes {
  std::string head;                           // of the head group (and the autoscaler's options)
  std::map<std::string, std::string> groups;  // by groupName
  std::string cluster;                        // of all of them: what Recreate compares
};

// The hashes of a RayCluster as stored. Replicas, min/max, workersToDelete, suspend and the
// upgrade strategy itself are left out: scaling or suspending never makes a pod outdated.
spec_hashes user_spec_hashes(const nlohmann::json& stored);

enum class upgrade_type { none, recreate, rolling_update };

struct upgrade_strategy {
  upgrade_type type = upgrade_type::none;
  // Resolved against the group's desired pods, as a Deployment does: a percentage of
  // unavailable rounds down, of surge up; both 0 would never progress, so unavailable is 1 then.
  int64_t max_unavailable = 1;
  int64_t max_surge = 1;
};

// The cluster's strategy for its head (spec.upgradeStrategy.type).
upgrade_type head_upgrade_type(const nlohmann::json& cluster);
// A worker group's strategy: its own upgradeStrategy over the cluster's. Recreate is
// cluster-wide: when the cluster's type is Recreate, every group's is.
upgrade_strategy group_upgrade_strategy(const nlohmann::json& cluster, const nlohmann::json& group,
                                        int64_t desired_pods);

// "None", "Recreate", "RollingUpdate".
const char* to_string(upgrade_type type);

}  // namespace ray
