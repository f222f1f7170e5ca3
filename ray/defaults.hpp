#pragma once
// Defaulting of a RayCluster. The seed example has no head group and no pod templates; a user
// can start from three lines, and everything else is filled in here.
//
// The Ray autoscaler reads the RayCluster itself (head group, templates' containers[0]
// resources, rayStartParams, replicas/min/max, idleTimeoutSeconds, upscalingMode) and crashes
// on missing keys, so the defaults must also be visible in the stored object: the operator
// writes `defaults_patch()` once, before the head starts. That is its only spec write.

#include <nlohmann/json.hpp>

namespace ray {

// Default resources when a Ray container declares none (requests = limits).
constexpr const char* default_head_cpu = "1";
constexpr const char* default_head_memory = "2Gi";
constexpr const char* default_worker_cpu = "1";
constexpr const char* default_worker_memory = "1Gi";
constexpr const char* default_image_repository = "rayproject/ray";
constexpr int64_t default_max_replicas = 2147483647;

// The whole RayCluster object with every default applied. Existing values are never changed.
// Call it on a RayCluster that passed validate(); on other input it does its best and never
// throws. After it, a builder may rely on:
//   spec.rayVersion (string, may be "")     spec.enableInTreeAutoscaling (bool)
//   spec.suspend (bool)                     spec.autoscalerOptions (object)
//     .idleTimeoutSeconds (int) when idleTimeoutSeconds or the seed's idleTimeoutMinutes is set
//     .upscalingMode (string) when upscalingMode or the seed's upscalingSpeed is set
//       (upscalingSpeed <= 1 -> "Conservative", else "Default"; Ray treats Default and
//        Aggressive alike)
//   spec.headGroupSpec.rayStartParams (object of strings, may be empty)
//   spec.headGroupSpec.serviceType (string: headGroupSpec.serviceType, else the seed's
//     spec.headService.type, else "ClusterIP")
//   spec.headGroupSpec.template.spec.containers[0]: name (default "ray-head"), image (default
//     "rayproject/ray:<rayVersion>", or ":latest" without a rayVersion), resources (default
//     1 CPU / 2Gi as both requests and limits when the container declares no resources)
//   spec.workerGroupSpecs (array), each with groupName, replicas (absent: minReplicas),
//     minReplicas (0), maxReplicas (2147483647), numOfHosts (1), rayStartParams ({}),
//     template.spec.containers[0] name ("ray-worker"), image, resources (1 CPU / 1Gi)
//   metadata.namespace ("default" when absent)
nlohmann::json with_defaults(const nlohmann::json& raycluster);

// The JSON merge patch that writes into the stored object the defaults it lacks: only fields
// that are absent, never a changed value. Arrays cannot be merged field by field, so when an
// element of `workerGroupSpecs` or of a `containers` list lacks something, the patch carries
// that whole array with the missing fields filled in and every existing value kept; the patch
// also carries metadata.resourceVersion as a precondition, so a concurrent writer (the
// autoscaler) makes it fail with a conflict instead of being overwritten. `{}` when nothing
// is missing.
nlohmann::json defaults_patch(const nlohmann::json& raycluster);

}  // namespace ray
