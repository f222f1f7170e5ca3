#pragma once
// The RayCluster status, computed from the spec and what is observed. KubeRay's fields, plus a
// standard Ready condition (so `kubectl wait --for=condition=Ready` works), a SpecValid
// condition, and per-group counts. Unlike KubeRay's, `state` is accurate in both directions: a
// cluster that was ready and lost its head or a worker becomes "unhealthy" until it recovers.

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "ray/observed.hpp"
#include "ray/updates.hpp"
#include "ray/validation.hpp"

namespace ray {

// A child the cluster needs (a Service, the head StatefulSet, the autoscaler's RBAC objects).
struct child_status {
  std::string kind;
  std::string name;
  bool present = false;  // it exists and is this cluster's
  // Why it is missing, when known: a reason (e.g. "FailedCreateService", "NotOwned") and the
  // API server's message.
  std::string reason;
  std::string message;
};

struct status_inputs {
  // The RayCluster as stored (its status is the previous status; conditions keep their
  // lastTransitionTime when their status does not change).
  const nlohmann::json* stored = nullptr;
  // The status the server holds when it is not yet `stored`'s: a write of ours the watch has not
  // shown. The new status builds on it, or transition times would flip between the two.
  const nlohmann::json* previous = nullptr;
  // with_defaults(stored); unused (may be null) when `problems` is not empty.
  const nlohmann::json* defaulted = nullptr;
  std::vector<spec_problem> problems;  // validation problems; non-empty: SpecValid False
  std::vector<observed_pod> pods;      // every pod labelled ray.io/cluster=<name>
  std::optional<observed_service> head_service;
  // Every child the cluster needs; Ready requires each to be present, and one that cannot be
  // created is reported in ReplicaFailure with the API server's reason.
  std::vector<child_status> children;
  // A failure of the last reconcile step that created or deleted pods, for the ReplicaFailure
  // condition: reason (KubeRay's, e.g. "FailedCreateWorkerPod") and message. Empty: none.
  std::string replica_failure_reason;
  std::string replica_failure_message;
  // The user-spec hashes of the stored spec (updates.hpp): pods whose hash differs are
  // outdated. Null: not known, nothing is said about updates.
  const spec_hashes* hashes = nullptr;
  std::string upgrade_type;  // the cluster's strategy, for the UpToDate message
  // Groups a HorizontalPodAutoscaler scales (workloads.hpp): the pods it wants, from their
  // workload's replicas, which stand for the group's replicas in what is desired.
  std::map<std::string, int64_t> hpa_desired;
  std::string now;  // RFC 3339, e.g. "2026-01-02T03:04:05Z"
};

// The complete new status object.
nlohmann::json compute_status(const status_inputs& in);

// Whether writing `next` over `previous` would change anything but lastUpdateTime: the
// operator writes the status only then.
bool status_differs(const nlohmann::json& previous, const nlohmann::json& next);

}  // namespace ray
