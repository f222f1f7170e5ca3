// The fault tests' invariant checker (test/chaos/invariants.hpp), fed RayClusters and pods as
// JSON, as its watches would.
#include <catch2/catch.hpp>

#include "test/chaos/invariants.hpp"

using chaos::invariants;
using nlohmann::json;

namespace {

json cluster(int replicas, bool autoscaling, json to_delete = json::array(), int generation = 1) {
  return {
      {"apiVersion", "ray.io/v1"},
      {"kind", "RayCluster"},
      {"metadata", {{"name", "c"}, {"namespace", "n"}, {"generation", generation}}},
      {"spec",
       {{"enableInTreeAutoscaling", autoscaling},
        {"headGroupSpec", {{"template", {{"spec", {{"containers", {{{"name", "ray-head"}}}}}}}}}},
        {"workerGroupSpecs",
         {{{"groupName", "w"},
           {"replicas", replicas},
           {"minReplicas", 0},
           {"maxReplicas", 10},
           {"scaleStrategy", {{"workersToDelete", to_delete}}},
           {"template", {{"spec", {{"containers", {{{"name", "ray-worker"}}}}}}}}}}}}},
      {"status",
       {{"observedGeneration", generation},
        {"desiredWorkerReplicas", replicas},
        {"availableWorkerReplicas", replicas},
        {"readyWorkerReplicas", replicas},
        {"conditions", {{{"type", "Ready"}, {"status", "True"}}}}}}};
}

json pod(const std::string& name, const std::string& phase = "Running", bool deleting = false,
         bool head = false) {
  json p = {
      {"metadata",
       {{"name", name},
        {"namespace", "n"},
        {"uid", "uid-" + name},
        {"labels",
         {{"ray.io/cluster", "c"},
          {"ray.io/node-type", head ? "head" : "worker"},
          {"ray.io/group", head ? "headgroup" : "w"}}}}},
      {"spec", {{"restartPolicy", head ? "Always" : "Never"}}},
      {"status",
       {{"phase", phase},
        {"conditions", {{{"type", "Ready"}, {"status", phase == "Running" ? "True" : "False"}}}}}}};
  if (deleting) p["metadata"]["deletionTimestamp"] = "2026-12-07T00:00:00Z";
  return p;
}

size_t count(const invariants& inv, const std::string& kind) {
  size_t n = 0;
  for (const auto& v : inv.violations()) n += v.kind == kind;
  return n;
}

}  // namespace

TEST_CASE("chaos: a scale-up within the spec and a deletion of a named pod break nothing") {
  invariants inv;
  inv.raycluster(cluster(2, true), 100);
  inv.pod(pod("c-head-0", "Running", false, true), 100);
  inv.pod(pod("c-w-worker-a"), 100);
  inv.pod(pod("c-w-worker-b"), 100);
  inv.raycluster(cluster(1, true, {"c-w-worker-a"}, 2), 101);
  inv.pod(pod("c-w-worker-a", "Running", true), 101.5);
  inv.pod_removed("n", "c-w-worker-a", 102);
  CHECK(inv.violations().empty());
  CHECK(inv.report(102)["pods_deleted"]["named in workersToDelete"] == 1);
}

TEST_CASE("chaos: an unnamed pod deleted while autoscaling is on is a violation") {
  invariants inv;
  inv.raycluster(cluster(2, true), 100);
  inv.pod(pod("c-w-worker-a"), 100);
  inv.pod(pod("c-w-worker-b"), 100);
  inv.raycluster(cluster(1, true, json::array(), 2), 101);  // lowered, no name given
  inv.pod(pod("c-w-worker-b", "Running", true), 102);
  REQUIRE(count(inv, "deleted") == 1);
  CHECK(inv.violations()[0].message.find("c-w-worker-b") != std::string::npos);
}

TEST_CASE("chaos: with autoscaling off a surplus pod may go, but not one the group still wants") {
  invariants inv;
  inv.raycluster(cluster(2, false), 100);
  inv.pod(pod("c-w-worker-a"), 100);
  inv.pod(pod("c-w-worker-b"), 100);
  inv.pod(pod("c-w-worker-b", "Running", true), 101);  // the group wants both
  CHECK(count(inv, "deleted") == 1);
  invariants fine;
  fine.raycluster(cluster(2, false), 100);
  fine.pod(pod("c-w-worker-a"), 100);
  fine.pod(pod("c-w-worker-b"), 100);
  fine.raycluster(cluster(1, false, json::array(), 2), 110);
  fine.pod(pod("c-w-worker-b", "Running", true), 111);
  CHECK(fine.violations().empty());
}

TEST_CASE("chaos: a failed pod may be deleted and replaced") {
  invariants inv;
  inv.raycluster(cluster(2, true), 100);
  inv.pod(pod("c-w-worker-a"), 100);
  inv.pod(pod("c-w-worker-b"), 100);
  inv.pod(pod("c-w-worker-b", "Failed"), 101);
  inv.pod(pod("c-w-worker-b", "Failed", true), 101.2);
  inv.pod(pod("c-w-worker-c", "Pending"), 101.3);
  CHECK(inv.violations().empty());
}

TEST_CASE("chaos: a replacement for a pod deleted on request is a pod beyond desired") {
  invariants inv;
  inv.raycluster(cluster(2, true), 100);
  inv.pod(pod("c-w-worker-a"), 100);
  inv.pod(pod("c-w-worker-b"), 100);
  inv.raycluster(cluster(1, true, {"c-w-worker-a"}, 2), 110);
  inv.pod(pod("c-w-worker-a", "Running", true), 110.5);
  inv.pod_removed("n", "c-w-worker-a", 111);
  inv.pod(pod("c-w-worker-c", "Pending"), 115);
  CHECK(count(inv, "created beyond desired") == 1);
}

TEST_CASE(
    "chaos: a create that raced a lower replicas count within the grace is not held against it") {
  invariants inv;
  inv.raycluster(cluster(1, true), 100);
  inv.pod(pod("c-w-worker-a"), 100);
  inv.raycluster(cluster(2, true, json::array(), 2), 110);
  inv.raycluster(cluster(1, true, json::array(), 3), 110.2);
  inv.pod(pod("c-w-worker-b", "Pending"), 110.4);  // made for 2
  CHECK(count(inv, "created beyond desired") == 0);
}

TEST_CASE("chaos: a worker name seen twice is a violation") {
  invariants inv;
  inv.raycluster(cluster(1, false), 100);
  inv.pod(pod("c-w-worker-a", "Failed"), 100);
  inv.pod(pod("c-w-worker-a", "Failed", true), 101);
  inv.pod_removed("n", "c-w-worker-a", 101);
  inv.pod(pod("c-w-worker-a", "Pending"), 102);
  CHECK(count(inv, "name reused") == 1);
}

TEST_CASE("chaos: pods gone from a relist are judged as deleted") {
  invariants inv;
  inv.raycluster(cluster(2, true), 100);
  inv.pod(pod("c-w-worker-a"), 100);
  inv.pod(pod("c-w-worker-b"), 100);
  inv.pods_relisted({pod("c-w-worker-a")}, 120);
  CHECK(count(inv, "deleted") == 1);
}

TEST_CASE("chaos: a cluster converges when pods, head and status agree with the spec") {
  invariants inv;
  inv.raycluster(cluster(1, true), 100);
  inv.pod(pod("c-head-0", "Running", false, true), 100);
  inv.tick(100);
  CHECK_FALSE(inv.all_converged());  // the group wants one worker
  inv.pod(pod("c-w-worker-a"), 101);
  inv.tick(101);
  CHECK(inv.all_converged());
  CHECK(inv.report(101)["converged_since"] == 101.0);
}

TEST_CASE("chaos: a status that lags settled pods past the deadline is a violation, once") {
  invariants inv;
  json c = cluster(2, true);
  c["status"]["readyWorkerReplicas"] = 1;
  inv.raycluster(c, 100);
  inv.pod(pod("c-head-0", "Running", false, true), 100);
  inv.pod(pod("c-w-worker-a"), 100);
  inv.pod(pod("c-w-worker-b"), 100);
  inv.tick(100);
  inv.tick(104);
  CHECK(count(inv, "status") == 0);
  inv.tick(106);
  inv.tick(107);
  CHECK(count(inv, "status") == 1);
}

TEST_CASE("chaos: the status deadline runs from the last fault's end") {
  invariants inv;
  json c = cluster(1, true);
  c["status"]["readyWorkerReplicas"] = 0;
  inv.raycluster(c, 100);
  inv.pod(pod("c-w-worker-a"), 100);
  inv.tick(100);
  inv.fault_ended(110);
  inv.tick(114);
  CHECK(count(inv, "status") == 0);
  inv.tick(116);
  CHECK(count(inv, "status") == 1);
}

TEST_CASE("chaos: convergence expected after a fault is timed, or reported when late") {
  invariants inv;
  inv.raycluster(cluster(1, true), 100);
  inv.pod(pod("c-head-0", "Running", false, true), 100);
  inv.expect_convergence(100);
  inv.tick(101);
  inv.pod(pod("c-w-worker-a"), 103);
  inv.tick(103);
  CHECK(inv.report(103)["convergence_seconds"] == json::array({3.0}));
  inv.raycluster(cluster(2, true, json::array(), 2), 104);
  inv.expect_convergence(104);
  inv.tick(110);
  CHECK(count(inv, "converge") == 0);
  inv.tick(115);
  CHECK(count(inv, "converge") == 1);
}

TEST_CASE("chaos: a cluster labelled broken neither converges nor holds the others back") {
  invariants inv;
  json broken = cluster(1, true);
  broken["metadata"]["name"] = "bad";
  broken["metadata"]["labels"] = {{chaos::broken_label, "true"}};
  inv.raycluster(broken, 100);
  inv.raycluster(cluster(0, true), 100);
  inv.pod(pod("c-head-0", "Running", false, true), 100);
  inv.tick(100);
  CHECK(inv.all_converged());
}

TEST_CASE("chaos: a pod change seen before the spec change that caused it is judged on both") {
  chaos::checker_options o;
  o.watch_skew = 2.0;
  invariants inv(o);
  inv.raycluster(cluster(1, true), 100);
  inv.pod(pod("c-w-worker-a"), 100);
  // The scale-up's pod, then the scale-up itself 0.3 s later.
  inv.pod(pod("c-w-worker-b", "Pending"), 105);
  inv.tick(105.1);
  inv.raycluster(cluster(2, true, json::array(), 2), 105.3);
  // A named pod's deletion, then the spec that named it.
  inv.pod(pod("c-w-worker-a", "Running", true), 106);
  inv.raycluster(cluster(1, true, {"c-w-worker-a"}, 3), 106.4);
  inv.tick(110);
  CHECK(inv.violations().empty());
  CHECK(inv.report(110)["pods_deleted"]["named in workersToDelete"] == 1);
}

TEST_CASE("chaos: what stays wrong after the watch skew is recorded when it was seen") {
  chaos::checker_options o;
  o.watch_skew = 2.0;
  invariants inv(o);
  inv.raycluster(cluster(2, true), 100);
  inv.pod(pod("c-w-worker-a"), 100);
  inv.pod(pod("c-w-worker-b"), 100);
  inv.pod(pod("c-w-worker-c", "Pending"), 110);        // a third, never asked for
  inv.pod(pod("c-w-worker-a", "Running", true), 111);  // deleted, never named
  inv.tick(112.5);
  CHECK(count(inv, "created beyond desired") == 1);
  CHECK(count(inv, "deleted") == 0);  // not yet: its skew runs to 113
  // A scale-up after the skew does not excuse the creation.
  inv.raycluster(cluster(3, true, json::array(), 2), 113.5);
  inv.tick(114);
  CHECK(count(inv, "deleted") == 1);
  REQUIRE(inv.violations().size() == 2);
  CHECK(inv.violations()[0].at == 110);
  CHECK(inv.violations()[1].at == 111);
}
