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
// HorizontalPodAutoscaler: a Deployment or StatefulSet group with a horizontalPodAutoscaler
// block gets an HPA <C>-<group> scaling its workload between the group's minReplicas (at least
// 1: an HPA cannot scale to zero without the HPAScaleToZero gate) and maxReplicas, times
// numOfHosts. The workload's replicas are then the HPA's: the operator sets them when it
// creates the workload and never again (not hashed, never patched), so the two never fight.
// A suspended group or cluster has no HPA, and its workload is scaled to 0 by the operator.
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

// The group has an HPA now: a horizontalPodAutoscaler block on a Deployment or StatefulSet
// group, neither it nor the cluster suspended (with_defaults() output).
bool hpa_scales_group(const nlohmann::json& cluster, const nlohmann::json& group);

// "<C>-<group>"
std::string worker_workload_name(const std::string& cluster, const std::string& group);

// The Deployment or StatefulSet of a group whose kind says so (with_defaults() output); null
// for a Pod group. `desired_pods` is clamp(replicas) x numOfHosts, 0 when suspended.
nlohmann::json desired_worker_workload(const nlohmann::json& cluster, size_t group_index,
                                       const spec_hashes& hashes, int64_t desired_pods);

// The HorizontalPodAutoscaler of a group the HPA scales (hpa_scales_group), with the given
// apiVersion ("autoscaling/v2" or "autoscaling/v2beta2": the object is the same in both); null
// for any other group.
nlohmann::json desired_worker_hpa(const nlohmann::json& cluster, size_t group_index,
                                  const std::string& api_version);

}  // namespace ray
