#pragma once
// Internals shared by status.cpp (counts, resources, state) and status_conditions.cpp.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "ray/observed.hpp"
#include "ray/validation.hpp"

namespace ray::status_detail {

inline const nlohmann::json& member(const nlohmann::json& obj, const char* key) {
  static const nlohmann::json absent;
  if (!obj.is_object()) return absent;
  auto it = obj.find(key);
  return it == obj.end() ? absent : *it;
}

inline std::string text(const nlohmann::json& v) {
  return v.is_string() ? v.get<std::string>() : std::string();
}

struct group_count {
  std::string name;
  int64_t desired = 0;
  int64_t available = 0;
  int64_t ready = 0;
  int64_t updated = 0;   // alive pods made from the group's current spec
  int64_t outdated = 0;  // alive pods made from an older one
};

// Everything the conditions are decided from.
struct cluster_view {
  int64_t generation = 0;
  std::string now;
  const std::vector<spec_problem>* problems = nullptr;
  bool suspend = false;
  bool pods_remain = false;            // any pod, deleting ones included
  const observed_pod* head = nullptr;  // the pod that best represents the head
  std::vector<group_count> groups;     // spec order
  std::string replica_failure_reason;  // empty with the message: no failure
  std::string replica_failure_message;
  std::string missing_children;       // "" when every needed child exists, else what is missing
  bool updates_known = false;         // the spec hashes were given
  std::optional<bool> head_outdated;  // unset: no head pod
  std::string upgrade_type;
};

// Running, ready and not on its way out.
bool head_serving(const cluster_view& v);
bool children_present(const cluster_view& v);
bool workers_ready(const cluster_view& v);
bool replica_failure(const cluster_view& v);
// Whether the new state is "ready".
bool all_ready(const cluster_view& v);

// metav1.Condition upsert: lastTransitionTime moves only when the status does.
void set_condition(nlohmann::json& conditions, const std::string& type, bool status,
                   const std::string& reason, const std::string& message, const cluster_view& v);
void remove_condition(nlohmann::json& conditions, const std::string& type);
bool condition_is_true(const nlohmann::json& conditions, const std::string& type);
bool has_condition(const nlohmann::json& conditions, const std::string& type);

// Conditions that follow the spec and the pods alone, updated in place.
void update_spec_valid(nlohmann::json& conditions, const cluster_view& v);
void update_head_pod_ready(nlohmann::json& conditions, const cluster_view& v);
void update_ready(nlohmann::json& conditions, const cluster_view& v);
// Provisioned, ReplicaFailure, Suspending and Suspended: what is left for a valid spec.
void update_lifecycle(nlohmann::json& conditions, const cluster_view& v);
// UpToDate: whether every pod was made from the current spec, and if not, which are not.
void update_up_to_date(nlohmann::json& conditions, const cluster_view& v);

}  // namespace ray::status_detail
