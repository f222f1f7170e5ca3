#pragma once
// The `ray start` command line of a Ray container, built from the group's rayStartParams and
// completed as KubeRay does, so the resources Ray advertises match what the autoscaler infers
// from the same RayCluster.

#include <nlohmann/json.hpp>
#include <string>

namespace ray {

// rayStartParams completed for one group: `block` always; head: `dashboard-host=0.0.0.0`,
// `no-monitor` with in-tree autoscaling; workers: `address=<head svc fqdn>:<port>`;
// `metrics-export-port=8080`, `dashboard-agent-listen-port=52365`; `num-cpus` from the CPU limit
// (else request), rounded up; `memory` from the memory limit in bytes; `num-gpus` from the
// first `*gpu` limit — each only when the user did not give it.
// `cluster` is with_defaults() output; `group` is its headGroupSpec or one workerGroupSpecs entry.
nlohmann::json completed_ray_start_params(const nlohmann::json& cluster,
                                          const nlohmann::json& group, bool head);

// "ulimit -n ${RAY_START_ULIMIT_OPEN_FILES:-65536}; ray start [--head] --k=v ..." with keys
// sorted, "true" rendered as a bare flag, "false" dropped (except log-color,
// include-dashboard, include-log-monitor, which render --k=false).
std::string ray_start_command(const nlohmann::json& completed_params, bool head);

}  // namespace ray
