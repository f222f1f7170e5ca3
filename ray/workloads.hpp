#pragma once
// Worker groups whose pods a Kubernetes controller runs instead of the operator
// (workerGroupSpecs[].workloadKind):
//
//   Pod (the default): the group's actor creates and deletes each worker pod, as KubeRay does;
//     the only kind in-tree autoscaling works with, since Ray's autoscaler deletes named pods.
//   Deployment: a Deployment <C>-<group>; the Deployment controller rolls it, from the group's
//     upgradeStrategy (RollingUpdate with its maxUnavailable/maxSurge, or Recreate; a
//     Deployment always replaces pods whose template changed, so None rolls as RollingUpdate).
//   StatefulSet: a StatefulSet <C>-<group> with stable pod names <C>-<group>-<ordinal>, the
//     headless worker Service as serviceName, podManagementPolicy Parallel and the group's
//     volumeClaimTemplates (per-worker storage); None is OnDelete, RollingUpdate rolls it.
//
// Their pods carry the same labels and spec hashes as the operator's own, so status counts
// them alike. The workload's own spec-hash annotation is a hash of what the user wrote (not of
// the derived object), so a new operator version never rolls it.

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>

#include "ray/updates.hpp"

namespace ray {

enum class workload_kind { pod, deployment, statefulset };

// workerGroupSpecs[].workloadKind; absent or unknown (refused by validation): pod.
workload_kind group_workload_kind(const nlohmann::json& group);
const char* to_string(workload_kind kind);  // "Pod", "Deployment", "StatefulSet"

// "<C>-<group>"
std::string worker_workload_name(const std::string& cluster, const std::string& group);

// The Deployment or StatefulSet of a group whose kind says so (with_defaults() output); null
// for a Pod group. `desired_pods` is clamp(replicas) x numOfHosts, 0 when suspended.
nlohmann::json desired_worker_workload(const nlohmann::json& cluster, size_t group_index,
                                       const spec_hashes& hashes, int64_t desired_pods);

}  // namespace ray
