#include "ray/observed.hpp"

#include <catch2/catch.hpp>

using namespace ray;
using nlohmann::json;

namespace {

json container_status(const std::string& name, const json& state, bool ready = false) {
  return {{"name", name}, {"ready", ready}, {"restartCount", 0}, {"state", state}};
}

json waiting(const std::string& reason) {
  return {{"waiting", {{"reason", reason}}}};
}
json terminated(const std::string& reason) {
  return {{"terminated", {{"reason", reason}, {"exitCode", 1}}}};
}
json running() {
  return {{"running", {{"startedAt", "2026-01-02T03:04:05Z"}}}};
}

// A head pod as the kubelet reports it: the Ray container first in the spec, statuses sorted
// by name, so the autoscaler sidecar's status comes first.
json head_pod() {
  return json::parse(R"({
    "apiVersion": "v1", "kind": "Pod",
    "metadata": {
      "name": "demo-head-0", "uid": "u-1", "resourceVersion": "17",
      "creationTimestamp": "2026-01-02T03:00:00Z",
      "labels": {"ray.io/cluster": "demo", "ray.io/node-type": "head", "ray.io/group": "headgroup"}
    },
    "spec": {
      "nodeName": "node-a",
      "containers": [{"name": "ray-head", "image": "rayproject/ray:2.6.0"},
                     {"name": "autoscaler", "image": "rayproject/ray:2.6.0"}]
    },
    "status": {
      "phase": "Running", "podIP": "10.0.0.10",
      "conditions": [{"type": "PodScheduled", "status": "True"},
                     {"type": "Ready", "status": "True"}],
      "containerStatuses": [
        {"name": "autoscaler", "ready": true, "state": {"running": {}}},
        {"name": "ray-head", "ready": true, "state": {"running": {}}}]
    }})");
}

void set_ready(json& pod, bool ready, const std::string& reason = "") {
  for (json& c : pod["status"]["conditions"]) {
    if (c["type"] != "Ready") continue;
    c["status"] = ready ? "True" : "False";
    if (!reason.empty()) c["reason"] = reason;
  }
}

json worker_pod(const std::string& phase) {
  json pod = {{"metadata",
               {{"name", "demo-small-worker-abcde"},
                {"labels", {{"ray.io/node-type", "worker"}, {"ray.io/group", "small"}}}}},
              {"spec", {{"restartPolicy", "Never"}, {"containers", {{{"name", "ray-worker"}}}}}},
              {"status", {{"phase", phase}}}};
  return pod;
}

observed_pod pod_state(const std::string& phase, bool terminated, const std::string& policy) {
  observed_pod p;
  p.phase = phase;
  p.ray_container_terminated = terminated;
  p.restart_policy = policy;
  return p;
}

}  // namespace

TEST_CASE("observed: a running, ready head pod keeps its identity, labels and readiness") {
  observed_pod p = reduce_pod(head_pod());
  CHECK(p.name == "demo-head-0");
  CHECK(p.uid == "u-1");
  CHECK(p.resource_version == "17");
  CHECK(p.creation_timestamp == "2026-01-02T03:00:00Z");
  CHECK(p.group == "headgroup");
  CHECK(p.is_head);
  CHECK(p.phase == "Running");
  CHECK(p.ready);
  CHECK_FALSE(p.deleting);
  CHECK_FALSE(p.unschedulable);
  CHECK_FALSE(p.ray_container_terminated);
  CHECK(p.restart_policy == "Always");
  CHECK(p.pod_ip == "10.0.0.10");
  CHECK(p.node_name == "node-a");
  CHECK(p.not_ready_reason.empty());
}

TEST_CASE("observed: the Ray container is found by name, not position") {
  json pod = head_pod();
  set_ready(pod, false, "ContainersNotReady");
  pod["status"]["containerStatuses"] = {container_status("autoscaler", waiting("ImagePullBackOff")),
                                        container_status("ray-head", terminated("OOMKilled"))};
  observed_pod p = reduce_pod(pod);
  CHECK(p.ray_container_terminated);
  CHECK(p.not_ready_reason == "OOMKilled");

  SECTION("a terminated sidecar is not the Ray container") {
    pod["status"]["containerStatuses"] = {container_status("autoscaler", terminated("Error")),
                                          container_status("ray-head", running())};
    CHECK_FALSE(reduce_pod(pod).ray_container_terminated);
  }
}

TEST_CASE("observed: the not-ready reason falls back from containers to pod conditions") {
  json pod = head_pod();
  set_ready(pod, false, "ContainersNotReady");
  pod["status"]["containerStatuses"] = {container_status("autoscaler", waiting("CrashLoopBackOff")),
                                        container_status("ray-head", running())};
  CHECK(reduce_pod(pod).not_ready_reason == "CrashLoopBackOff");

  pod["status"]["containerStatuses"] = {container_status("autoscaler", running()),
                                        container_status("ray-head", running())};
  CHECK(reduce_pod(pod).not_ready_reason == "ContainersNotReady");

  SECTION("a ready pod has no not-ready reason") {
    set_ready(pod, true);
    pod["status"]["containerStatuses"][0] = container_status("autoscaler", waiting("Odd"));
    CHECK(reduce_pod(pod).not_ready_reason.empty());
  }
}

TEST_CASE("observed: an unschedulable pod is recognised and says why") {
  json pod = worker_pod("Pending");
  pod["status"]["conditions"] = {
      {{"type", "PodScheduled"}, {"status", "False"}, {"reason", "Unschedulable"}}};
  observed_pod p = reduce_pod(pod);
  CHECK(p.unschedulable);
  CHECK_FALSE(p.ready);
  CHECK_FALSE(p.is_head);
  CHECK(p.group == "small");
  CHECK(p.restart_policy == "Never");
  CHECK(p.not_ready_reason == "Unschedulable");

  pod["status"]["conditions"][0]["reason"] = "SchedulerError";
  CHECK_FALSE(reduce_pod(pod).unschedulable);
}

TEST_CASE("observed: a deletionTimestamp marks the pod as deleting") {
  json pod = head_pod();
  CHECK_FALSE(reduce_pod(pod).deleting);
  pod["metadata"]["deletionTimestamp"] = "2026-01-02T03:04:05Z";
  CHECK(reduce_pod(pod).deleting);
}

TEST_CASE("observed: malformed pods reduce to empty fields without throwing") {
  for (const json& pod : {json(), json::array(), json("pod"), json::object(),
                          json::parse(R"({"metadata": [], "spec": 3, "status": "x"})"),
                          json::parse(R"({"spec": {"containers": [7, {"name": 5}]},
                                          "status": {"conditions": {"type": "Ready"},
                                                     "containerStatuses": [null, 3]}})"),
                          json::parse(R"({"spec": {"containers": []},
                                          "status": {"conditions": [null, {"type": 1}],
                                                     "containerStatuses": [{"name": "x"}]}})")}) {
    observed_pod p;
    REQUIRE_NOTHROW(p = reduce_pod(pod));
    CHECK(p.name.empty());
    CHECK_FALSE(p.ready);
    CHECK_FALSE(p.is_head);
    CHECK_FALSE(p.ray_container_terminated);
    CHECK(p.restart_policy == "Always");
  }
}

TEST_CASE("observed: should_replace follows KubeRay's health policy") {
  CHECK(should_replace(pod_state("Failed", false, "Always")));
  CHECK(should_replace(pod_state("Succeeded", false, "Always")));
  CHECK(should_replace(pod_state("Running", true, "Never")));
  CHECK_FALSE(should_replace(pod_state("Running", true, "Always")));
  CHECK_FALSE(should_replace(pod_state("Running", true, "OnFailure")));
  CHECK_FALSE(should_replace(pod_state("Running", false, "Never")));
  CHECK_FALSE(should_replace(pod_state("Pending", false, "Never")));
  CHECK_FALSE(should_replace(pod_state("Unknown", false, "Never")));
}

TEST_CASE("observed: a terminated Ray container with restartPolicy Never is replaced") {
  json pod = worker_pod("Running");
  pod["status"]["containerStatuses"] = {container_status("ray-worker", terminated("Error"))};
  CHECK(should_replace(reduce_pod(pod)));
  pod["spec"]["restartPolicy"] = "OnFailure";
  CHECK_FALSE(should_replace(reduce_pod(pod)));
}

TEST_CASE("observed: a service reports its cluster IP and named ports") {
  json service = json::parse(R"({
    "metadata": {"name": "demo-head-svc", "uid": "u-s"},
    "spec": {"clusterIP": "10.96.0.20", "ports": [
      {"name": "gcs-server", "port": 6379, "targetPort": 6379},
      {"name": "dashboard", "port": 8265, "targetPort": 8265, "nodePort": 30265},
      {"name": "client", "port": 10001, "targetPort": "client"},
      {"port": 8080, "targetPort": 8080},
      {"name": "serve", "port": 8000}]}})");
  observed_service s = reduce_service(service);
  CHECK(s.name == "demo-head-svc");
  CHECK(s.uid == "u-s");
  CHECK(s.cluster_ip == "10.96.0.20");
  using port = std::pair<std::string, int>;
  CHECK(s.ports ==
        std::vector<port>{
            {"gcs-server", 6379}, {"dashboard", 30265}, {"client", 10001}, {"serve", 8000}});
}

TEST_CASE("observed: malformed services reduce without throwing") {
  for (const json& service :
       {json(), json::array(), json::parse(R"({"spec": {"ports": {"a": 1}}})"),
        json::parse(R"({"spec": {"clusterIP": 3, "ports": [null, {"name": "x", "port": "y"},
                                                           {"name": "z", "port": 99999}]}})")}) {
    observed_service s;
    REQUIRE_NOTHROW(s = reduce_service(service));
    CHECK(s.cluster_ip.empty());
    CHECK(s.ports.empty());
  }
}
