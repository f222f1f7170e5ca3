#include <catch2/catch.hpp>

#include "ray/status.hpp"
#include "test/unit/ray/status_fixture.hpp"

using namespace status_fixture;

TEST_CASE("status: ready only when the head and every desired worker are running and ready") {
  cluster_fixture f;
  f.pods = {head(false)};
  json s = f.reconcile(t1);
  CHECK_FALSE(s.contains("state"));
  CHECK(cond_status(s, "Ready") == "False/HeadPodNotReady");
  CHECK(condition(s, "Ready")["message"] ==
        "head pod basic-ray-cluster-head-0 is not ready (phase Pending): ContainersNotReady");
  CHECK(cond_status(s, "RayClusterProvisioned") == "False/RayClusterPodsProvisioning");

  f.pods = {head(), worker("aaaaa")};
  s = f.reconcile(t2);
  CHECK_FALSE(s.contains("state"));
  CHECK(cond_status(s, "Ready") == "False/WorkersNotReady");
  CHECK(condition(s, "Ready")["message"] == "1/2 workers ready in group small-worker");

  f.pods = {head(), worker("aaaaa"), worker("bbbbb", false)};
  s = f.reconcile(t3);
  CHECK_FALSE(s.contains("state"));
  CHECK(s["availableWorkerReplicas"] == 2);
  CHECK(s["readyWorkerReplicas"] == 1);

  f.ready_pods();
  s = f.reconcile(t4);
  CHECK(s["state"] == "ready");
  CHECK(cond_status(s, "Ready") == "True/AllPodsReady");
  CHECK(condition(s, "RayClusterProvisioned")["lastTransitionTime"] == t4);
}

TEST_CASE("status: a head pod being deleted keeps the cluster from ready") {
  cluster_fixture f;
  f.ready_pods();
  f.pods[0].deleting = true;
  json s = f.reconcile(t1);
  CHECK_FALSE(s.contains("state"));
  CHECK(cond_status(s, "Ready") == "False/HeadPodNotReady");
  CHECK(condition(s, "Ready")["message"] == "head pod basic-ray-cluster-head-0 is being deleted");
}

TEST_CASE("status: state leaves ready when the head pod is lost, and returns") {
  cluster_fixture f;
  f.ready_pods();
  f.reconcile(t1);

  f.pods.erase(f.pods.begin());
  json s = f.reconcile(t2);
  CHECK(s["state"] == "unhealthy");
  CHECK(s["stateTransitionTimes"] == json{{"ready", t1}, {"unhealthy", t2}});
  CHECK(cond_status(s, "Ready") == "False/HeadPodNotReady");
  CHECK(condition(s, "Ready")["message"] == "no head pod");
  CHECK(cond_status(s, "HeadPodReady") == "False/HeadPodNotFound");
  CHECK(cond_status(s, "RayClusterProvisioned") == "True/AllPodRunningAndReadyFirstTime");
  CHECK(condition(s, "RayClusterProvisioned")["lastTransitionTime"] == t1);
  CHECK_FALSE(s["head"].contains("podName"));

  s = f.reconcile(t3);
  CHECK(s["stateTransitionTimes"]["unhealthy"] == t2);

  f.ready_pods();
  s = f.reconcile(t4);
  CHECK(s["state"] == "ready");
  CHECK(s["stateTransitionTimes"] == json{{"ready", t4}, {"unhealthy", t2}});
  CHECK(condition(s, "Ready")["lastTransitionTime"] == t4);
}

TEST_CASE("status: state leaves ready when a worker is lost") {
  cluster_fixture f;
  f.ready_pods();
  f.reconcile(t1);
  f.pods.pop_back();
  json s = f.reconcile(t2);
  CHECK(s["state"] == "unhealthy");
  CHECK(cond_status(s, "Ready") == "False/WorkersNotReady");
  CHECK(cond_status(s, "HeadPodReady") == "True/HeadPodRunningAndReady");
}

TEST_CASE("status: HeadPodReady carries the head pod's reason") {
  cluster_fixture f;
  f.pods = {head()};
  f.pods[0].ready = false;
  f.pods[0].not_ready_reason = "CrashLoopBackOff";
  json s = f.reconcile(t1);
  CHECK(cond_status(s, "HeadPodReady") == "False/CrashLoopBackOff");
  CHECK(condition(s, "Ready")["message"] ==
        "head pod basic-ray-cluster-head-0 is not ready: CrashLoopBackOff");

  SECTION("reasons are made valid for metav1.Condition") {
    f.pods[0].not_ready_reason = "9 bad reason!:";
    CHECK(cond_status(f.reconcile(t2), "HeadPodReady") == "False/badreason");
    f.pods[0].not_ready_reason = "";
    CHECK(cond_status(f.reconcile(t3), "HeadPodReady") == "False/Unknown");
  }
}

TEST_CASE("status: suspending then suspended") {
  cluster_fixture f;
  f.ready_pods();
  f.reconcile(t1);

  f.stored["spec"]["suspend"] = true;
  json s = f.reconcile(t2);
  CHECK(cond_status(s, "RayClusterSuspending") == "True/RayClusterSuspending");
  CHECK(cond_status(s, "RayClusterSuspended") == "False/RayClusterSuspended");
  CHECK(cond_status(s, "Ready") == "False/Suspending");
  CHECK(s["desiredWorkerReplicas"] == 0);
  CHECK(s["workerGroups"][0]["desiredReplicas"] == 0);
  CHECK(s["desiredCPU"] == "1");

  for (observed_pod& p : f.pods) p.deleting = true;
  s = f.reconcile(t3);
  CHECK(cond_status(s, "RayClusterSuspending") == "True/RayClusterSuspending");
  CHECK(s["state"] != "suspended");

  f.pods.clear();
  s = f.reconcile(t4);
  CHECK(s["state"] == "suspended");
  CHECK(s["stateTransitionTimes"]["suspended"] == t4);
  CHECK(cond_status(s, "RayClusterSuspending") == "False/RayClusterSuspending");
  CHECK(cond_status(s, "RayClusterSuspended") == "True/RayClusterSuspended");
  CHECK(cond_status(s, "RayClusterProvisioned") == "False/RayClusterSuspended");
  CHECK(cond_status(s, "Ready") == "False/Suspended");
  CHECK(cond_status(s, "HeadPodReady") == "False/HeadPodNotFound");

  SECTION("resuming provisions the cluster anew") {
    f.stored["spec"]["suspend"] = false;
    s = f.reconcile("2026-01-02T03:04:00Z");
    CHECK_FALSE(s.contains("state"));
    CHECK(cond_status(s, "RayClusterSuspended") == "False/RayClusterSuspended");
    CHECK(cond_status(s, "RayClusterSuspending") == "False/RayClusterSuspending");
    CHECK(cond_status(s, "RayClusterProvisioned") == "False/RayClusterPodsProvisioning");
    CHECK(cond_status(s, "Ready") == "False/HeadPodNotReady");
    CHECK(s["desiredWorkerReplicas"] == 2);

    f.ready_pods();
    s = f.reconcile("2026-01-02T03:05:00Z");
    CHECK(s["state"] == "ready");
    CHECK(cond_status(s, "RayClusterProvisioned") == "True/AllPodRunningAndReadyFirstTime");
  }
}

TEST_CASE("status: a replica failure is reported and keeps the cluster from ready") {
  cluster_fixture f;
  f.ready_pods();
  f.failure_reason = "FailedCreateWorkerPod";
  f.failure_message = "pods is forbidden: exceeded quota";
  json s = f.reconcile(t1);
  CHECK_FALSE(s.contains("state"));
  CHECK(cond_status(s, "ReplicaFailure") == "True/FailedCreateWorkerPod");
  CHECK(condition(s, "ReplicaFailure")["message"] == "pods is forbidden: exceeded quota");
  CHECK(cond_status(s, "Ready") == "False/ReplicaFailure");

  f.failure_reason.clear();
  f.failure_message.clear();
  s = f.reconcile(t2);
  CHECK(cond_status(s, "ReplicaFailure") == "absent");
  CHECK(s["state"] == "ready");
}

TEST_CASE("status: an invalid spec changes only conditions and observedGeneration") {
  cluster_fixture f;
  f.ready_pods();
  json before = f.reconcile(t1);

  f.stored["metadata"]["generation"] = 2;
  f.stored["spec"]["workerGroupSpecs"][0]["replicas"] = 3;
  f.problems = {{"spec.workerGroupSpecs[0].minReplicas", "5 is greater than maxReplicas (3)"},
                {"metadata.name", "too long"}};
  f.pods.erase(f.pods.begin());
  json s = f.reconcile(t2);
  CHECK(s["observedGeneration"] == 2);
  CHECK(s["lastUpdateTime"] == t2);
  for (const char* key : {"state", "desiredWorkerReplicas", "readyWorkerReplicas", "desiredCPU",
                          "head", "endpoints", "workerGroups", "stateTransitionTimes"})
    CHECK(s[key] == before[key]);
  CHECK(cond_status(s, "SpecValid") == "False/InvalidRayClusterSpec");
  CHECK(condition(s, "SpecValid")["message"] ==
        "2 problems: spec.workerGroupSpecs[0].minReplicas: 5 is greater than maxReplicas (3); "
        "metadata.name: too long");
  CHECK(cond_status(s, "Ready") == "False/InvalidSpec");
  CHECK(cond_status(s, "HeadPodReady") == "False/HeadPodNotFound");
  CHECK(condition(s, "RayClusterProvisioned") == condition(before, "RayClusterProvisioned"));

  f.problems.clear();
  f.ready_pods();
  s = f.reconcile(t3);
  CHECK(cond_status(s, "SpecValid") == "True/Valid");
  CHECK(s["desiredWorkerReplicas"] == 3);
}

TEST_CASE("status: lastTransitionTime moves only when a condition's status does") {
  cluster_fixture f;
  f.pods = {head(false)};
  f.reconcile(t1);
  f.pods = {head()};
  json s = f.reconcile(t2);
  CHECK(cond_status(s, "Ready") == "False/WorkersNotReady");
  CHECK(condition(s, "Ready")["lastTransitionTime"] == t1);
  CHECK(condition(s, "HeadPodReady")["lastTransitionTime"] == t2);
  CHECK(condition(s, "SpecValid")["lastTransitionTime"] == t1);
}

TEST_CASE("status: conditions of other types are kept") {
  cluster_fixture f;
  f.stored["status"]["conditions"] = {
      {{"type", "example.com/Audited"}, {"status", "True"}, {"reason", "Done"}}, "junk"};
  json s = f.reconcile(t1);
  CHECK(cond_status(s, "example.com/Audited") == "True/Done");
  CHECK(s["conditions"].size() == 5);
}

TEST_CASE("status: pods made from an older spec are counted per group and make UpToDate False") {
  cluster_fixture f;
  f.ready_pods();
  f.hashes = spec_hashes{"h-head", {{"small-worker", "h-new"}}, "c"};
  for (auto& p : f.pods) p.group_hash = p.is_head ? "h-head" : "h-new";
  json s = f.reconcile(t1);
  CHECK(cond_status(s, "UpToDate") == "True/AllPodsUpToDate");
  CHECK(s["workerGroups"][0]["updatedReplicas"] == 2);
  CHECK(s["workerGroups"][0]["outdatedReplicas"] == 0);

  f.pods[1].group_hash = "h-old";
  s = f.reconcile(t2);
  CHECK(cond_status(s, "UpToDate") == "False/MixedTemplates");
  CHECK(condition(s, "UpToDate")["message"] ==
        "1 of 3 pods run an older spec (1 of 2 in group small-worker); upgradeStrategy None "
        "replaces none of them: delete them to replace them");
  CHECK(s["workerGroups"][0]["updatedReplicas"] == 1);
  CHECK(s["workerGroups"][0]["outdatedReplicas"] == 1);
  CHECK(s["state"] == "ready");  // outdated pods still serve

  // A pod made before pods recorded their spec cannot show it is current.
  for (auto& p : f.pods) p.group_hash.clear();
  f.upgrade_type = "RollingUpdate";
  s = f.reconcile(t3);
  CHECK(cond_status(s, "UpToDate") == "False/AllPodsOutdated");
  CHECK(condition(s, "UpToDate")["message"] ==
        "3 of 3 pods run an older spec (the head, 2 of 2 in group small-worker); upgradeStrategy "
        "RollingUpdate is replacing them");
}

TEST_CASE("status: without the spec hashes nothing is said about updates") {
  cluster_fixture f;
  f.ready_pods();
  json s = f.reconcile(t1);
  CHECK(cond_status(s, "UpToDate") == "absent");
  CHECK_FALSE(s["workerGroups"][0].contains("updatedReplicas"));
}

TEST_CASE("status: a group an HPA scales wants what its workload has, not the spec's replicas") {
  cluster_fixture f;
  f.ready_pods();
  f.hpa_desired["small-worker"] = 3;  // the HPA scaled 2 -> 3; the third is not ready yet
  json s = f.reconcile(t1);
  CHECK(s["workerGroups"][0]["desiredReplicas"] == 3);
  CHECK(s["desiredWorkerReplicas"] == 3);
  CHECK(cond_status(s, "Ready") == "False/WorkersNotReady");

  f.pods.push_back(worker("ccccc"));
  s = f.reconcile(t2);
  CHECK(s["workerGroups"][0]["readyReplicas"] == 3);
  CHECK(cond_status(s, "Ready") == "True/AllPodsReady");
}
