#include <string>

#include "ray/status_detail.hpp"

namespace ray::status_detail {

namespace {

using nlohmann::json;

constexpr const char* type_ready = "Ready";
constexpr const char* type_spec_valid = "SpecValid";
constexpr const char* type_head_pod_ready = "HeadPodReady";
constexpr const char* type_provisioned = "RayClusterProvisioned";
constexpr const char* type_replica_failure = "ReplicaFailure";
constexpr const char* type_suspending = "RayClusterSuspending";
constexpr const char* type_suspended = "RayClusterSuspended";
constexpr const char* type_up_to_date = "UpToDate";

// metav1.Condition's schema: reason matches ^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$ (at most
// 1024 characters), message has at most 32768 bytes. Pod reasons come from the kubelet and
// container runtimes, so they are made to fit rather than trusted: one bad reason would make
// the API server reject the whole status.
std::string valid_reason(const std::string& reason) {
  std::string out;
  for (char ch : reason) {
    bool letter = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z');
    bool digit = ch >= '0' && ch <= '9';
    if (out.empty() ? letter : letter || digit || ch == '_' || ch == ',' || ch == ':') out += ch;
  }
  if (out.size() > 1024) out.resize(1024);
  while (!out.empty() && (out.back() == ',' || out.back() == ':')) out.pop_back();
  return out.empty() ? "Unknown" : out;
}

std::string valid_message(std::string message, const std::string& reason) {
  // Never empty: a condition's message is for people, and some API servers (the 1.20 build
  // the sandbox runs among them) reject an empty string in a custom resource.
  if (message.empty()) return reason;
  constexpr size_t limit = 32768;
  if (message.size() <= limit) return message;
  size_t cut = limit;
  while (cut > 0 && (static_cast<unsigned char>(message[cut]) & 0xC0) == 0x80) --cut;
  message.resize(cut);
  return message;
}

std::string head_problem(const cluster_view& v) {
  if (!v.head) return "no head pod";
  const observed_pod& p = *v.head;
  std::string m = "head pod " + p.name;
  if (p.deleting) return m + " is being deleted";
  m += " is not ready";
  if (p.phase != "Running") m += " (phase " + (p.phase.empty() ? "unknown" : p.phase) + ")";
  if (!p.not_ready_reason.empty()) m += ": " + p.not_ready_reason;
  return m;
}

std::string workers_problem(const cluster_view& v) {
  std::string m;
  for (const group_count& g : v.groups) {
    if (g.ready >= g.desired) continue;
    if (!m.empty()) m += "; ";
    m += std::to_string(g.ready) + "/" + std::to_string(g.desired) + " workers ready in group " +
         g.name;
  }
  return m;
}

int64_t desired_workers(const cluster_view& v) {
  int64_t n = 0;
  for (const group_count& g : v.groups) n += g.desired;
  return n;
}

}  // namespace

bool head_serving(const cluster_view& v) {
  return v.head && !v.head->deleting && v.head->phase == "Running" && v.head->ready;
}

bool children_present(const cluster_view& v) {
  return v.missing_children.empty();
}

bool workers_ready(const cluster_view& v) {
  for (const group_count& g : v.groups)
    if (g.ready < g.desired) return false;
  return true;
}

bool replica_failure(const cluster_view& v) {
  return !v.replica_failure_reason.empty() || !v.replica_failure_message.empty();
}

bool all_ready(const cluster_view& v) {
  return v.problems->empty() && !v.suspend && children_present(v) && head_serving(v) &&
         workers_ready(v) && !replica_failure(v);
}

void set_condition(json& conditions, const std::string& type, bool status,
                   const std::string& reason, const std::string& message, const cluster_view& v) {
  if (!conditions.is_array()) conditions = json::array();
  json c = {{"type", type},
            {"status", status ? "True" : "False"},
            {"reason", valid_reason(reason)},
            {"message", valid_message(message, valid_reason(reason))},
            {"observedGeneration", v.generation},
            {"lastTransitionTime", v.now}};
  for (json& old : conditions) {
    if (text(member(old, "type")) != type) continue;
    const json& since = member(old, "lastTransitionTime");
    bool unchanged = text(member(old, "status")) == (status ? "True" : "False");
    if (unchanged && !text(since).empty()) c["lastTransitionTime"] = since;
    old = std::move(c);
    return;
  }
  conditions.push_back(std::move(c));
}

void remove_condition(json& conditions, const std::string& type) {
  if (!conditions.is_array()) return;
  json kept = json::array();
  for (json& c : conditions)
    if (text(member(c, "type")) != type) kept.push_back(std::move(c));
  conditions = std::move(kept);
}

bool has_condition(const json& conditions, const std::string& type) {
  if (!conditions.is_array()) return false;
  for (const json& c : conditions)
    if (text(member(c, "type")) == type) return true;
  return false;
}

bool condition_is_true(const json& conditions, const std::string& type) {
  if (!conditions.is_array()) return false;
  for (const json& c : conditions)
    if (text(member(c, "type")) == type) return text(member(c, "status")) == "True";
  return false;
}

void update_spec_valid(json& conditions, const cluster_view& v) {
  if (v.problems->empty())
    set_condition(conditions, type_spec_valid, true, "Valid", "the RayCluster spec is valid", v);
  else
    set_condition(conditions, type_spec_valid, false, "InvalidRayClusterSpec",
                  summarize(*v.problems), v);
}

void update_head_pod_ready(json& conditions, const cluster_view& v) {
  if (!v.head)
    set_condition(conditions, type_head_pod_ready, false, "HeadPodNotFound", "no head pod", v);
  else if (v.head->ready)
    set_condition(conditions, type_head_pod_ready, true, "HeadPodRunningAndReady",
                  "head pod " + v.head->name + " is running and ready", v);
  else
    set_condition(conditions, type_head_pod_ready, false, v.head->not_ready_reason, head_problem(v),
                  v);
}

void update_ready(json& conditions, const cluster_view& v) {
  auto not_ready = [&](const char* reason, const std::string& message) {
    set_condition(conditions, type_ready, false, reason, message, v);
  };
  if (!v.problems->empty())
    not_ready("InvalidSpec", summarize(*v.problems));
  else if (v.suspend && v.pods_remain)
    not_ready("Suspending", "the cluster's pods are being deleted to suspend it");
  else if (v.suspend)
    not_ready("Suspended", "the cluster is suspended");
  else if (!children_present(v))
    not_ready("ChildrenMissing", v.missing_children);
  else if (!head_serving(v))
    not_ready("HeadPodNotReady", head_problem(v));
  else if (!workers_ready(v))
    not_ready("WorkersNotReady", workers_problem(v));
  else if (replica_failure(v))
    not_ready("ReplicaFailure", v.replica_failure_message);
  else
    set_condition(conditions, type_ready, true, "AllPodsReady",
                  "the head pod and all " + std::to_string(desired_workers(v)) +
                      " desired workers are running and ready",
                  v);
}

void update_lifecycle(json& conditions, const cluster_view& v) {
  bool suspended = v.suspend && !v.pods_remain;
  if (suspended)
    set_condition(conditions, type_provisioned, false, "RayClusterSuspended",
                  "RayCluster has been suspended", v);
  else if (all_ready(v) || condition_is_true(conditions, type_provisioned))
    set_condition(conditions, type_provisioned, true, "AllPodRunningAndReadyFirstTime",
                  "All Ray Pods are ready for the first time", v);
  else
    set_condition(conditions, type_provisioned, false, "RayClusterPodsProvisioning",
                  "RayCluster Pods are being provisioned for first time", v);

  if (replica_failure(v))
    set_condition(conditions, type_replica_failure, true,
                  v.replica_failure_reason.empty() ? "ReplicaFailure" : v.replica_failure_reason,
                  v.replica_failure_message, v);
  else
    remove_condition(conditions, type_replica_failure);

  if (v.suspend) {
    set_condition(conditions, type_suspending, v.pods_remain, type_suspending,
                  v.pods_remain ? "the cluster's pods are being deleted" : "", v);
    set_condition(conditions, type_suspended, !v.pods_remain, type_suspended,
                  v.pods_remain ? "" : "every pod of the cluster is deleted", v);
    return;
  }
  // Absent until the cluster is first suspended, like KubeRay's.
  if (has_condition(conditions, type_suspending))
    set_condition(conditions, type_suspending, false, type_suspending, "", v);
  if (has_condition(conditions, type_suspended))
    set_condition(conditions, type_suspended, false, type_suspended, "", v);
}

void update_up_to_date(json& conditions, const cluster_view& v) {
  if (!v.updates_known) return;
  int64_t outdated = v.head_outdated.value_or(false) ? 1 : 0;
  int64_t pods = v.head_outdated ? 1 : 0;
  std::string which = outdated ? "the head" : "";
  for (const group_count& g : v.groups) {
    outdated += g.outdated;
    pods += g.outdated + g.updated;
    if (g.outdated == 0) continue;
    if (!which.empty()) which += ", ";
    which += std::to_string(g.outdated) + " of " + std::to_string(g.outdated + g.updated) +
             " in group " + g.name;
  }
  if (outdated == 0) {
    set_condition(conditions, type_up_to_date, true, "AllPodsUpToDate",
                  "every pod runs the current spec", v);
    return;
  }
  const bool mixed = outdated < pods;
  std::string message = std::to_string(outdated) + " of " + std::to_string(pods) +
                        " pods run an older spec (" + which + "); ";
  if (v.upgrade_type == "None" || v.upgrade_type.empty())
    message += "upgradeStrategy None replaces none of them: delete them to replace them";
  else
    message += "upgradeStrategy " + v.upgrade_type + " is replacing them";
  set_condition(conditions, type_up_to_date, false, mixed ? "MixedTemplates" : "AllPodsOutdated",
                message, v);
}

}  // namespace ray::status_detail
