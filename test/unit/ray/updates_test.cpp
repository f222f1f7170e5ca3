#include "ray/updates.hpp"

#include <catch2/catch.hpp>

#include "cluster_fixture.hpp"
#include "ray/children.hpp"

using namespace ray;
using namespace ray_test;
using nlohmann::json;

namespace {

json& group0(json& cluster) {
  return cluster["spec"]["workerGroupSpecs"][0];
}

}  // namespace

TEST_CASE("updates: a group's hash follows its template, rayStartParams and rayVersion") {
  const json before = seed_cluster();
  const spec_hashes h = user_spec_hashes(before);
  REQUIRE(h.groups.count("small-worker"));
  CHECK(h.groups.at("small-worker").size() == 16);

  json image = before;
  group0(image)["template"]["spec"]["containers"][0]["image"] = "rayproject/ray:2.10.0";
  CHECK(user_spec_hashes(image).groups.at("small-worker") != h.groups.at("small-worker"));
  CHECK(user_spec_hashes(image).head == h.head);  // only that group's pods are outdated
  CHECK(user_spec_hashes(image).cluster != h.cluster);

  json params = before;
  group0(params)["rayStartParams"]["num-cpus"] = "2";
  CHECK(user_spec_hashes(params).groups.at("small-worker") != h.groups.at("small-worker"));

  json version = before;
  version["spec"]["rayVersion"] = "2.10.0";
  CHECK(user_spec_hashes(version).groups.at("small-worker") != h.groups.at("small-worker"));
  CHECK(user_spec_hashes(version).head != h.head);
}

TEST_CASE("updates: scaling, workersToDelete, suspend and the strategy make no pod outdated") {
  const json before = seed_cluster();
  json after = before;
  group0(after)["replicas"] = 3;
  group0(after)["minReplicas"] = 0;
  group0(after)["maxReplicas"] = 10;
  group0(after)["scaleStrategy"]["workersToDelete"] = {"w-1"};
  group0(after)["suspend"] = true;
  group0(after)["upgradeStrategy"]["type"] = "RollingUpdate";
  after["spec"]["suspend"] = true;
  after["spec"]["upgradeStrategy"]["type"] = "Recreate";
  const spec_hashes a = user_spec_hashes(before), b = user_spec_hashes(after);
  CHECK(a.head == b.head);
  CHECK(a.groups == b.groups);
  CHECK(a.cluster == b.cluster);
}

TEST_CASE("updates: the head's hash covers the autoscaler's options, a sidecar of the head") {
  const json before = seed_cluster();
  json after = before;
  after["spec"]["autoscalerOptions"]["image"] = "rayproject/ray:2.10.0";
  CHECK(user_spec_hashes(after).head != user_spec_hashes(before).head);
  CHECK(user_spec_hashes(after).groups == user_spec_hashes(before).groups);
}

TEST_CASE("updates: pods record the hashes, the head through its StatefulSet's template") {
  const json cluster = seed_cluster();
  const spec_hashes h = user_spec_hashes(cluster);
  const json pod = desired_worker_pod(cluster, 0, h);
  CHECK(pod["metadata"]["annotations"]["ray.io/group-spec-hash"] == h.groups.at("small-worker"));
  CHECK(pod["metadata"]["annotations"]["ray.io/cluster-spec-hash"] == h.cluster);
  const json sts = desired_head_statefulset(cluster, h);
  CHECK(sts["spec"]["template"]["metadata"]["annotations"]["ray.io/group-spec-hash"] == h.head);
  CHECK(sts["spec"]["updateStrategy"] == json{{"type", "OnDelete"}});
}

TEST_CASE("updates: the default strategy is None, KubeRay's") {
  const json cluster = seed_cluster();
  CHECK(head_upgrade_type(cluster) == upgrade_type::none);
  CHECK(group_upgrade_strategy(cluster, cluster["spec"]["workerGroupSpecs"][0], 2).type ==
        upgrade_type::none);
}

TEST_CASE("updates: a group's own strategy overrides the cluster's, except a cluster's Recreate") {
  json cluster = seed_cluster();
  cluster["spec"]["upgradeStrategy"] = {{"type", "RollingUpdate"},
                                        {"rollingUpdate", {{"maxSurge", 2}}}};
  group0(cluster)["upgradeStrategy"] = {{"type", "None"}};
  CHECK(group_upgrade_strategy(cluster, group0(cluster), 4).type == upgrade_type::none);
  group0(cluster)["upgradeStrategy"] = {{"rollingUpdate", {{"maxUnavailable", 0}}}};
  const auto s = group_upgrade_strategy(cluster, group0(cluster), 4);
  CHECK(s.type == upgrade_type::rolling_update);
  CHECK(s.max_surge == 2);        // the cluster's
  CHECK(s.max_unavailable == 0);  // the group's
  cluster["spec"]["upgradeStrategy"] = {{"type", "Recreate"}};
  group0(cluster)["upgradeStrategy"] = {{"type", "RollingUpdate"}};
  CHECK(group_upgrade_strategy(cluster, group0(cluster), 4).type == upgrade_type::recreate);
}

TEST_CASE("updates: percentages round as a Deployment's do, and 0 and 0 still progress") {
  json cluster = seed_cluster();
  cluster["spec"]["upgradeStrategy"] = {
      {"type", "RollingUpdate"},
      {"rollingUpdate", {{"maxUnavailable", "25%"}, {"maxSurge", "25%"}}}};
  auto s = group_upgrade_strategy(cluster, group0(cluster), 10);
  CHECK(s.max_unavailable == 2);  // 2.5 rounded down
  CHECK(s.max_surge == 3);        // 2.5 rounded up
  cluster["spec"]["upgradeStrategy"]["rollingUpdate"] = {{"maxUnavailable", "0"},
                                                         {"maxSurge", "10%"}};
  s = group_upgrade_strategy(cluster, group0(cluster), 3);
  CHECK(s.max_surge == 1);
  CHECK(s.max_unavailable == 0);
  cluster["spec"]["upgradeStrategy"]["rollingUpdate"] = {{"maxUnavailable", "10%"},
                                                         {"maxSurge", 0}};
  s = group_upgrade_strategy(cluster, group0(cluster), 3);
  CHECK(s.max_unavailable == 1);  // 0 and 0 would never replace anything
}
