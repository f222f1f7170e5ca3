#include <algorithm>
#include <catch2/catch.hpp>

#include "ray/status.hpp"
#include "test/unit/ray/status_fixture.hpp"

using namespace status_fixture;

TEST_CASE("status: a seed-like cluster with everything running is ready") {
  cluster_fixture f;
  f.ready_pods();
  json s = f.reconcile(t1);
  INFO(s.dump(2));
  CHECK(s["state"] == "ready");
  CHECK(s["observedGeneration"] == 1);
  CHECK(s["lastUpdateTime"] == t1);
  CHECK(s["readyWorkerReplicas"] == 2);
  CHECK(s["availableWorkerReplicas"] == 2);
  CHECK(s["desiredWorkerReplicas"] == 2);
  CHECK(s["minWorkerReplicas"] == 1);
  CHECK(s["maxWorkerReplicas"] == 3);
  CHECK(s["desiredCPU"] == "3");
  CHECK(s["desiredMemory"] == "4Gi");
  CHECK(s["desiredGPU"] == "0");
  CHECK(s["desiredTPU"] == "0");
  CHECK(s["stateTransitionTimes"] == json{{"ready", t1}});
  CHECK(cond_status(s, "Ready") == "True/AllPodsReady");
  CHECK(cond_status(s, "SpecValid") == "True/Valid");
  CHECK(cond_status(s, "HeadPodReady") == "True/HeadPodRunningAndReady");
  CHECK(cond_status(s, "RayClusterProvisioned") == "True/AllPodRunningAndReadyFirstTime");
  CHECK(cond_status(s, "ReplicaFailure") == "absent");
  CHECK(cond_status(s, "RayClusterSuspending") == "absent");
  CHECK(cond_status(s, "RayClusterSuspended") == "absent");
  CHECK(condition(s, "Ready")["lastTransitionTime"] == t1);
  CHECK(condition(s, "Ready")["observedGeneration"] == 1);
  CHECK(s["workerGroups"] == json::parse(R"([{"groupName": "small-worker", "desiredReplicas": 2,
                                               "availableReplicas": 2, "readyReplicas": 2}])"));
}

TEST_CASE("status: pods being deleted are not counted as workers") {
  cluster_fixture f;
  f.ready_pods();
  f.pods[2].deleting = true;
  json s = f.reconcile(t1);
  CHECK_FALSE(s.contains("state"));
  CHECK(s["readyWorkerReplicas"] == 1);
  CHECK(s["availableWorkerReplicas"] == 1);
  CHECK(s["workerGroups"][0]["readyReplicas"] == 1);
}

TEST_CASE("status: worker counts clamp replicas and multiply by numOfHosts") {
  cluster_fixture f;
  f.stored["spec"]["workerGroupSpecs"] = {worker_group("small-worker", 5, 1, 3),
                                          worker_group("tpu", 1, 1, 2147483647, 2),
                                          worker_group("idle", 0, 2, 4)};
  f.pods = {head(),
            worker("a"),
            worker("b"),
            worker("c", false),
            worker("d", true, "tpu"),
            worker("e", true, "tpu"),
            worker("f", true, "gone")};
  f.pods.push_back(pod("basic-ray-cluster-idle-worker-g", "idle", "Pending", false));
  json s = f.reconcile(t1);
  CHECK(s["desiredWorkerReplicas"] == 3 + 2 + 2);
  CHECK(s["minWorkerReplicas"] == 1 + 2 + 2);
  CHECK(s["maxWorkerReplicas"] == 2147483647);
  CHECK(s["availableWorkerReplicas"] == 6);
  CHECK(s["readyWorkerReplicas"] == 5);
  CHECK(s["workerGroups"] == json::parse(R"([
    {"groupName": "small-worker", "desiredReplicas": 3, "availableReplicas": 3, "readyReplicas": 2},
    {"groupName": "tpu", "desiredReplicas": 2, "availableReplicas": 2, "readyReplicas": 2},
    {"groupName": "idle", "desiredReplicas": 2, "availableReplicas": 0, "readyReplicas": 0}])"));
  CHECK(condition(s, "Ready")["message"] ==
        "2/3 workers ready in group small-worker; 0/2 workers ready in group idle");
}

TEST_CASE("status: desired CPU sums requests over templates times replicas") {
  cluster_fixture f;
  json& spec = f.stored["spec"];
  spec["headGroupSpec"]["template"]["spec"]["containers"] = {
      ray_container("ray-head", {{"cpu", "500m"}}, {{"cpu", "2"}, {"memory", "2Gi"}})};
  json gpu_worker = ray_container("ray-worker", {{"cpu", "1500m"}, {"nvidia.com/gpu", "1"}},
                                  {{"cpu", "4"}, {"memory", "1Gi"}, {"nvidia.com/gpu", "1"}});
  json sidecar = ray_container("log", {{"memory", "512Mi"}, {"amd.com/gpu", 1}},
                               {{"google.com/tpu", "4"}, {"example.com/foo", "9"}});
  json& group = spec["workerGroupSpecs"][0];
  group["replicas"] = 9;  // clamped to maxReplicas 3
  group["template"]["spec"]["containers"] = {gpu_worker, sidecar};
  json s = f.reconcile(t1);
  CHECK(s["desiredCPU"] == "5");          // 500m + 3 × 1500m
  CHECK(s["desiredMemory"] == "6656Mi");  // 2Gi + 3 × (1Gi + 512Mi)
  CHECK(s["desiredGPU"] == "6");          // 3 × (1 + 1)
  CHECK(s["desiredTPU"] == "12");

  SECTION("a MIG slice counts as a GPU") {
    group["template"]["spec"]["containers"] = {
        ray_container("ray-worker", {{"nvidia.com/mig-1g.5gb", "1"}}, json::object())};
    CHECK(f.reconcile(t2)["desiredGPU"] == "3");
  }
  SECTION("unparseable quantities are skipped") {
    group["template"]["spec"]["containers"] = {
        ray_container("ray-worker", {{"cpu", "lots"}, {"memory", "-1Gi"}}, json::object())};
    json r = f.reconcile(t2);
    CHECK(r["desiredCPU"] == "500m");
    CHECK(r["desiredMemory"] == "2Gi");
  }
}

TEST_CASE("status: head info and endpoints come from the head pod and service") {
  cluster_fixture f;
  f.ready_pods();
  json s = f.reconcile(t1);
  CHECK(s["head"] == json{{"podName", "basic-ray-cluster-head-0"},
                          {"podIP", "10.0.0.10"},
                          {"serviceName", "basic-ray-cluster-head-svc"},
                          {"serviceIP", "10.96.0.20"}});
  CHECK(s["endpoints"] == json{{"gcs-server", "6379"},
                               {"dashboard", "8265"},
                               {"client", "10001"},
                               {"metrics", "8080"},
                               {"serve", "8000"}});

  f.service = head_service("None");
  CHECK(f.reconcile(t2)["head"]["serviceIP"] == "10.0.0.10");

  f.service.reset();
  s = f.reconcile(t3);
  CHECK(s["head"] == json{{"podName", "basic-ray-cluster-head-0"}, {"podIP", "10.0.0.10"}});
  CHECK_FALSE(s.contains("endpoints"));
}

TEST_CASE("status: an unchanged status does not differ apart from lastUpdateTime") {
  cluster_fixture f;
  f.ready_pods();
  json first = f.reconcile(t1);
  json second = f.reconcile(t2);
  CHECK(first["lastUpdateTime"] != second["lastUpdateTime"]);
  CHECK_FALSE(status_differs(first, second));
  // As read back from the API server: integers parse as unsigned, conditions may be reordered.
  json read_back = json::parse(first.dump());
  std::reverse(read_back["conditions"].begin(), read_back["conditions"].end());
  CHECK_FALSE(status_differs(read_back, second));
}

TEST_CASE("status: any change apart from lastUpdateTime is a difference") {
  cluster_fixture f;
  f.ready_pods();
  json first = f.reconcile(t1);
  f.stored["metadata"]["generation"] = 2;
  CHECK(status_differs(first, f.reconcile(t2)));
  json second = f.reconcile(t2);
  f.stored["spec"]["headGroupSpec"]["template"]["spec"]["containers"][0]["resources"] = {
      {"requests", {{"cpu", "2"}}}};
  CHECK(status_differs(second, f.reconcile(t3)));
  json third = f.reconcile(t3);
  json changed = third;
  for (json& c : changed["conditions"])
    if (c["type"] == "Ready") c["message"] = "something else";
  CHECK(status_differs(third, changed));
  CHECK(status_differs(json(), third));
}

TEST_CASE("status: built on a write the watch has not shown yet, it keeps that write's times") {
  cluster_fixture f;
  f.pods = {head()};
  const json starting = f.reconcile(t1);
  f.ready_pods();
  const json written = f.reconcile(t2);  // written, but the watch still shows `starting`
  REQUIRE(written["state"] == "ready");
  f.stored["status"] = starting;
  f.previous = &written;
  const json next = f.reconcile(t3);
  INFO(next.dump(2));
  CHECK(next["stateTransitionTimes"]["ready"] == t2);
  CHECK(condition(next, "Ready")["lastTransitionTime"] == t2);
  CHECK_FALSE(status_differs(written, next));  // nothing to write again
}

TEST_CASE("status: malformed clusters never throw") {
  for (const json& cluster :
       {json(), json::array(), json::parse(R"({"metadata": 1, "spec": "x", "status": []})"),
        json::parse(R"({"spec": {"suspend": "yes", "workerGroupSpecs": [1, {"replicas": "2",
                         "numOfHosts": -3, "template": {"spec": {"containers": [
                         {"resources": {"requests": [], "limits": {"cpu": {}}}}]}}}]},
                        "status": {"conditions": {"type": "Ready"}, "stateTransitionTimes": 4}})")}) {
    status_inputs in;
    in.stored = &cluster;
    in.defaulted = &cluster;
    in.pods = {head(), worker("a")};
    in.now = t1;
    json s;
    REQUIRE_NOTHROW(s = compute_status(in));
    CHECK(s["desiredCPU"] == "0");
    CHECK(s["desiredWorkerReplicas"] == 0);
    CHECK(s["head"]["podName"] == "basic-ray-cluster-head-0");
    CHECK_NOTHROW(status_differs(cluster, s));
  }
}
