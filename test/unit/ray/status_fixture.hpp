#pragma once
// A RayCluster shaped like the seed (defaults applied by hand) and its pods, for the status
// tests.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ray/status.hpp"

namespace status_fixture {

using namespace ray;
using nlohmann::json;

inline const std::string t1 = "2026-01-02T03:00:00Z";
inline const std::string t2 = "2026-01-02T03:01:00Z";
inline const std::string t3 = "2026-01-02T03:02:00Z";
inline const std::string t4 = "2026-01-02T03:03:00Z";

inline json ray_container(const std::string& name, const json& requests, const json& limits) {
  return {{"name", name}, {"resources", {{"requests", requests}, {"limits", limits}}}};
}

inline json worker_group(const std::string& name, int replicas, int min, int max, int hosts = 1) {
  json c = ray_container("ray-worker", {{"cpu", "1"}, {"memory", "1Gi"}},
                         {{"cpu", "1"}, {"memory", "1Gi"}});
  return {{"groupName", name},
          {"replicas", replicas},
          {"minReplicas", min},
          {"maxReplicas", max},
          {"numOfHosts", hosts},
          {"rayStartParams", json::object()},
          {"template", {{"spec", {{"containers", {c}}}}}}};
}

// The seed's cluster with the defaults applied: a head of 1 CPU / 2Gi and one group of two
// 1 CPU / 1Gi workers.
inline json seed_cluster() {
  json head = ray_container("ray-head", {{"cpu", "1"}, {"memory", "2Gi"}},
                            {{"cpu", "1"}, {"memory", "2Gi"}});
  return {
      {"apiVersion", "ray.io/v1"},
      {"kind", "RayCluster"},
      {"metadata", {{"name", "basic-ray-cluster"}, {"namespace", "default"}, {"generation", 1}}},
      {"spec",
       {{"rayVersion", "2.6.0"},
        {"enableInTreeAutoscaling", true},
        {"suspend", false},
        {"headGroupSpec",
         {{"serviceType", "ClusterIP"},
          {"rayStartParams", json::object()},
          {"template", {{"spec", {{"containers", {head}}}}}}}},
        {"workerGroupSpecs", {worker_group("small-worker", 2, 1, 3)}}}}};
}

inline observed_pod pod(const std::string& name, const std::string& group, const std::string& phase,
                        bool ready) {
  observed_pod p;
  p.name = name;
  p.group = group;
  p.is_head = group == "headgroup";
  p.phase = phase;
  p.ready = ready;
  p.restart_policy = p.is_head ? "Always" : "Never";
  p.pod_ip = p.is_head ? "10.0.0.10" : "10.0.1." + std::to_string(name.size());
  return p;
}

inline observed_pod head(bool ready = true) {
  observed_pod p =
      pod("basic-ray-cluster-head-0", "headgroup", ready ? "Running" : "Pending", ready);
  if (!ready) p.not_ready_reason = "ContainersNotReady";
  return p;
}

inline observed_pod worker(const std::string& suffix, bool ready = true,
                           const std::string& group = "small-worker") {
  return pod("basic-ray-cluster-" + group + "-worker-" + suffix, group, "Running", ready);
}

inline observed_service head_service(const std::string& cluster_ip = "10.96.0.20") {
  return {"basic-ray-cluster-head-svc",
          "u-svc",
          cluster_ip,
          {{"gcs-server", 6379},
           {"dashboard", 8265},
           {"client", 10001},
           {"metrics", 8080},
           {"serve", 8000}}};
}

// One RayCluster across reconciles: each computed status is written back as the stored one.
struct cluster_fixture {
  json stored = seed_cluster();
  std::vector<observed_pod> pods;
  std::optional<observed_service> service = head_service();
  std::vector<spec_problem> problems;
  std::string failure_reason, failure_message;
  std::optional<spec_hashes> hashes;  // set: updates are reported
  std::string upgrade_type = "None";
  std::map<std::string, int64_t> hpa_desired;
  const json* previous = nullptr;  // a written status the watch has not shown yet

  json reconcile(const std::string& now) {
    json defaulted = stored;
    defaulted.erase("status");
    status_inputs in;
    in.stored = &stored;
    in.previous = previous;
    in.defaulted = problems.empty() ? &defaulted : nullptr;
    in.problems = problems;
    in.pods = pods;
    in.head_service = service;
    in.replica_failure_reason = failure_reason;
    in.replica_failure_message = failure_message;
    if (hashes) in.hashes = &*hashes;
    in.upgrade_type = upgrade_type;
    in.hpa_desired = hpa_desired;
    in.now = now;
    json status = compute_status(in);
    stored["status"] = status;
    return status;
  }
  void ready_pods() { pods = {head(), worker("aaaaa"), worker("bbbbb")}; }
};

inline json condition(const json& status, const std::string& type) {
  for (const json& c : status.value("conditions", json::array()))
    if (c.value("type", "") == type) return c;
  return nullptr;
}

inline std::string cond_status(const json& status, const std::string& type) {
  json c = condition(status, type);
  return c.is_null() ? "absent" : c.value("status", "") + "/" + c.value("reason", "");
}

}  // namespace status_fixture
