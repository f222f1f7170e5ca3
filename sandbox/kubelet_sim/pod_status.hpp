#pragma once
// The pod statuses a kubelet and a scheduler write, built from the pod's current status so that
// what is already true is kept exactly (start times, transition times, restart counts): a
// status built twice from the same pod is the same, and status_patch() then finds nothing to
// write. That is what makes a restarted simulator leave running pods alone.

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "sandbox/kubelet_sim/pod_view.hpp"

namespace kubelet_sim {

struct run_context {
  std::string now;  // format_time() of the present
  std::string host_ip;
  std::string pod_ip;
  bool node_ready = true;
  std::optional<int> applied_fail;  // the fail exit code already simulated for this pod
};

struct run_status {
  nlohmann::json status;
  std::optional<int> applied_fail;  // to remember once `status` is written
};

// A started pod: Running with every container running and ready, unless a fault annotation
// says otherwise (see faults.hpp). Init containers have completed.
run_status running_status(const pod_view& pod, const run_context& ctx);

// A pod being deleted: every container terminated (exit code 0, Completed), not ready.
nlohmann::json stopped_status(const pod_view& pod, const std::string& now);

// A pod that fits nowhere: PodScheduled=False, reason Unschedulable, the scheduler's message.
nlohmann::json unschedulable_status(const pod_view& pod, const std::string& message,
                                    const std::string& now);

// The merge patch for the status subresource that makes `current` show `desired`: the
// top-level fields of `desired` whose value differs, compared without nulls and empty
// objects (the API server writes those for fields a kubelet leaves unset). {} when none do.
nlohmann::json status_patch(const nlohmann::json& current, const nlohmann::json& desired);

// The fail exit code whose marker the pod's first container shows, if any.
std::optional<int> applied_fail_of(const pod_view& pod);

}  // namespace kubelet_sim
