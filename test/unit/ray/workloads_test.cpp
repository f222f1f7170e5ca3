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

TEST_CASE("workloads: a Pod group has no workload; its actor makes the pods") {
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
