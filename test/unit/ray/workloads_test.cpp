#include "ray/workloads.hpp"

#include <catch2/catch.hpp>

#include "cluster_fixture.hpp"
#include "ray/children.hpp"

using namespace ray;
using namespace ray_test;
using nlohmann::json;

namespace {

json with_kind(const std::string& kind) {
  json cluster = seed_cluster();
  cluster["spec"]["enableInTreeAutoscaling"] = false;
  cluster["spec"]["workerGroupSpecs"][0]["workloadKind"] = kind;
  return cluster;
}

json workload(const json& cluster, int64_t pods = 2) {
  return desired_worker_workload(cluster, 0, user_spec_hashes(cluster), pods);
}

}  // namespace

TEST_CASE("workloads: a Pod group has no workload, its actor makes the pods") {
  CHECK(desired_worker_workload(seed_cluster(), 0, user_spec_hashes(seed_cluster()), 2).is_null());
  CHECK(group_workload_kind(seed_cluster()["spec"]["workerGroupSpecs"][0]) == workload_kind::pod);
}

TEST_CASE("workloads: a Deployment group is Deployment C-GROUP running the group's pods") {
  const json cluster = with_kind("Deployment");
  const json d = workload(cluster, 4);
  CHECK(d["apiVersion"] == "apps/v1");
  CHECK(d["kind"] == "Deployment");
  CHECK(d["metadata"]["name"] == "basic-ray-cluster-small-worker");
  CHECK(d["metadata"]["labels"]["ray.io/group"] == "small-worker");
  CHECK(d["metadata"]["ownerReferences"][0]["kind"] == "RayCluster");
  CHECK(d["spec"]["replicas"] == 4);
  CHECK(d["spec"]["selector"]["matchLabels"] == json{{"ray.io/cluster", "basic-ray-cluster"},
                                                     {"ray.io/node-type", "worker"},
                                                     {"ray.io/group", "small-worker"}});
  const json& tmpl = d["spec"]["template"];
  for (const auto& [key, value] : d["spec"]["selector"]["matchLabels"].items())
    CHECK(tmpl["metadata"]["labels"][key] == value);
  CHECK(tmpl["spec"]["restartPolicy"] == "Always");  // a Deployment allows nothing else
  CHECK(tmpl["spec"]["containers"][0]["name"] == "ray-worker");
  CHECK(tmpl["metadata"]["annotations"]["ray.io/group-spec-hash"] ==
        user_spec_hashes(cluster).groups.at("small-worker"));
  // None cannot hold a Deployment's pods back: it rolls, within the group's budget.
  CHECK(d["spec"]["strategy"] == json::parse(R"({"type": "RollingUpdate",
                        "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 1}})"));
}

TEST_CASE("workloads: a Deployment follows the group's Recreate or RollingUpdate budget") {
  json cluster = with_kind("Deployment");
  cluster["spec"]["workerGroupSpecs"][0]["upgradeStrategy"] = {
      {"type", "RollingUpdate"}, {"rollingUpdate", {{"maxUnavailable", 0}, {"maxSurge", "50%"}}}};
  CHECK(workload(cluster, 4)["spec"]["strategy"]["rollingUpdate"] ==
        json{{"maxUnavailable", 0}, {"maxSurge", 2}});
  cluster["spec"]["workerGroupSpecs"][0]["upgradeStrategy"] = {{"type", "Recreate"}};
  CHECK(workload(cluster)["spec"]["strategy"] == json{{"type", "Recreate"}});
}

TEST_CASE("workloads: a StatefulSet group has stable names, the workers Service and its claims") {
  json cluster = with_kind("StatefulSet");
  const json claims = json::parse(R"([{"metadata": {"name": "spill"}, "spec": {
      "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "10Gi"}}}}])");
  cluster["spec"]["workerGroupSpecs"][0]["volumeClaimTemplates"] = claims;
  const json s = workload(cluster);
  CHECK(s["kind"] == "StatefulSet");
  CHECK(s["spec"]["serviceName"] == "basic-ray-cluster-workers");
  CHECK(s["spec"]["podManagementPolicy"] == "Parallel");
  CHECK(s["spec"]["volumeClaimTemplates"] == claims);
  CHECK(s["spec"]["updateStrategy"] == json{{"type", "OnDelete"}});  // None: nothing replaced
  cluster["spec"]["upgradeStrategy"] = {{"type", "RollingUpdate"}};
  CHECK(workload(cluster)["spec"]["updateStrategy"] == json{{"type", "RollingUpdate"}});
}

TEST_CASE("workloads: the workload's hash moves with what the user wrote, and only with that") {
  const json cluster = with_kind("Deployment");
  const auto hash = [](const json& w) {
    return w["metadata"]["annotations"]["ray.io/desired-spec-hash"];
  };
  CHECK(hash(workload(cluster)) == hash(workload(cluster)));
  CHECK(hash(workload(cluster, 3)) != hash(workload(cluster, 2)));  // a scale is a write
  json image = cluster;
  image["spec"]["workerGroupSpecs"][0]["template"]["spec"]["containers"][0]["image"] = "x:2";
  CHECK(hash(workload(image)) != hash(workload(cluster)));
  // What the operator derives (here: an extra env var) is not in it, so no new operator
  // version rolls the workload.
  json derived = workload(cluster);
  derived["spec"]["template"]["spec"]["containers"][0]["env"].push_back({{"name", "X"}});
  CHECK(hash(derived) == hash(workload(cluster)));
  // Another group's change does not roll this one.
  json other = cluster;
  other["spec"]["workerGroupSpecs"].push_back(cluster["spec"]["workerGroupSpecs"][0]);
  other["spec"]["workerGroupSpecs"][1]["groupName"] = "other";
  CHECK(hash(workload(other)) == hash(workload(cluster)));
}

namespace {

json with_hpa(const std::string& kind) {
  json cluster = with_kind(kind);
  auto& group = cluster["spec"]["workerGroupSpecs"][0];
  group["minReplicas"] = 2;
  group["maxReplicas"] = 6;
  group["horizontalPodAutoscaler"] = json::parse(R"({
      "metrics": [{"type": "Resource", "resource": {"name": "cpu",
                   "target": {"type": "Utilization", "averageUtilization": 60}}}],
      "behavior": {"scaleDown": {"stabilizationWindowSeconds": 120}}})");
  return cluster;
}

}  // namespace

TEST_CASE(
    "workloads: an HPA group gets HPA C-GROUP scaling its workload within the group's bounds") {
  const json cluster = with_hpa("Deployment");
  const json hpa = desired_worker_hpa(cluster, 0, "autoscaling/v2beta2");
  CHECK(hpa["apiVersion"] == "autoscaling/v2beta2");
  CHECK(hpa["kind"] == "HorizontalPodAutoscaler");
  CHECK(hpa["metadata"]["name"] == "basic-ray-cluster-small-worker");
  CHECK(hpa["metadata"]["ownerReferences"][0]["uid"] == "uid-1234");
  CHECK(hpa["spec"]["scaleTargetRef"] == json{{"apiVersion", "apps/v1"},
                                              {"kind", "Deployment"},
                                              {"name", "basic-ray-cluster-small-worker"}});
  CHECK(hpa["spec"]["minReplicas"] == 2);
  CHECK(hpa["spec"]["maxReplicas"] == 6);
  CHECK(hpa["spec"]["metrics"] ==
        cluster["spec"]["workerGroupSpecs"][0]["horizontalPodAutoscaler"]["metrics"]);
  CHECK(hpa["spec"]["behavior"]["scaleDown"]["stabilizationWindowSeconds"] == 120);
  CHECK(desired_worker_hpa(with_hpa("StatefulSet"), 0,
                           "autoscaling/v2")["spec"]["scaleTargetRef"]["kind"] == "StatefulSet");
  // The same object in either version; only apiVersion says which.
  json v2 = desired_worker_hpa(cluster, 0, "autoscaling/v2");
  v2["apiVersion"] = "autoscaling/v2beta2";
  CHECK(v2 == hpa);
}

TEST_CASE("workloads: an HPA counts in pods, at least 1, within an int32") {
  json cluster = with_hpa("Deployment");
  auto& group = cluster["spec"]["workerGroupSpecs"][0];
  group["numOfHosts"] = 2;
  CHECK(desired_worker_hpa(cluster, 0, "autoscaling/v2")["spec"]["minReplicas"] == 4);
  CHECK(desired_worker_hpa(cluster, 0, "autoscaling/v2")["spec"]["maxReplicas"] == 12);
  group["minReplicas"] = 0;  // KubeRay's default: an HPA without HPAScaleToZero refuses 0
  group["maxReplicas"] = 2147483647;
  CHECK(desired_worker_hpa(cluster, 0, "autoscaling/v2")["spec"]["minReplicas"] == 1);
  CHECK(desired_worker_hpa(cluster, 0, "autoscaling/v2")["spec"]["maxReplicas"] == 2147483647);
}

TEST_CASE("workloads: no HPA for a Pod group, a group without the block, or while suspended") {
  CHECK(desired_worker_hpa(with_kind("Deployment"), 0, "autoscaling/v2").is_null());
  json pod_group = with_hpa("Deployment");
  pod_group["spec"]["workerGroupSpecs"][0].erase("workloadKind");
  CHECK(desired_worker_hpa(pod_group, 0, "autoscaling/v2").is_null());
  json suspended = with_hpa("Deployment");
  suspended["spec"]["workerGroupSpecs"][0]["suspend"] = true;
  CHECK(desired_worker_hpa(suspended, 0, "autoscaling/v2").is_null());
  suspended = with_hpa("Deployment");
  suspended["spec"]["suspend"] = true;
  CHECK(desired_worker_hpa(suspended, 0, "autoscaling/v2").is_null());
  // Suspended, the operator scales the workload again: to 0.
  CHECK(workload(suspended, 0)["spec"]["replicas"] == 0);
}

TEST_CASE("workloads: an HPA's workload starts within its bounds and its replicas are not hashed") {
  const json cluster = with_hpa("Deployment");
  const auto hash = [](const json& w) {
    return w["metadata"]["annotations"]["ray.io/desired-spec-hash"];
  };
  CHECK(workload(cluster, 0)["spec"]["replicas"] == 2);  // at 0 an HPA would not act
  CHECK(workload(cluster, 4)["spec"]["replicas"] == 4);
  CHECK(workload(cluster, 9)["spec"]["replicas"] == 6);
  // A new replicas in the spec is no write: the HPA owns them.
  CHECK(hash(workload(cluster, 3)) == hash(workload(cluster, 4)));
  CHECK(hash(workload(with_kind("Deployment"), 3)) != hash(workload(with_kind("Deployment"), 4)));
}

TEST_CASE("workloads: the HPA's hash moves with its metrics, behavior and bounds") {
  const json cluster = with_hpa("Deployment");
  const auto hash = [](const json& c) {
    return desired_worker_hpa(
        c, 0, "autoscaling/v2")["metadata"]["annotations"]["ray.io/desired-spec-hash"];
  };
  json metrics = cluster;
  metrics["spec"]["workerGroupSpecs"][0]["horizontalPodAutoscaler"]["metrics"][0]["resource"]
         ["target"]["averageUtilization"] = 70;
  json bounds = cluster;
  bounds["spec"]["workerGroupSpecs"][0]["maxReplicas"] = 7;
  json replicas = cluster;
  replicas["spec"]["workerGroupSpecs"][0]["replicas"] = 5;
  CHECK(hash(metrics) != hash(cluster));
  CHECK(hash(bounds) != hash(cluster));
  CHECK(hash(replicas) == hash(cluster));
}
