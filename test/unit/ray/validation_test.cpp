#include "ray/validation.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "k8s/yaml_json.hpp"
#include "test/unit/ray/manifests.hpp"

using nlohmann::json;
using ray::spec_problem;
using ray::validate;

namespace {

// A valid cluster with one worker group, for the tests to break one field at a time.
json base() {
  return {{"apiVersion", "ray.io/v1"},
          {"kind", "RayCluster"},
          {"metadata", {{"name", "c"}}},
          {"spec",
           {{"rayVersion", "2.9.0"},
            {"headGroupSpec", json::object()},
            {"workerGroupSpecs", {{{"groupName", "g"}, {"minReplicas", 1}, {"maxReplicas", 3}}}}}}};
}

std::vector<std::string> fields(const std::vector<spec_problem>& problems) {
  std::vector<std::string> out;
  for (const auto& p : problems) out.push_back(p.field);
  return out;
}

// The one problem of `rc`; fails the test when there is not exactly one.
spec_problem only_problem(const json& rc) {
  auto problems = validate(rc);
  INFO(ray::summarize(problems));
  REQUIRE(problems.size() == 1);
  return problems[0];
}

json& group0(json& rc) {
  return rc["spec"]["workerGroupSpecs"][0];
}
json& worker_container(json& rc) {
  return group0(rc)["template"]["spec"]["containers"][0];
}

}  // namespace

TEST_CASE("validation: every example is valid as written") {
  for (const char* path :
       {"examples/raycluster-seed.yaml", "examples/raycluster-v1-full.yaml",
        "examples/raycluster-rolling-update.yaml", "examples/raycluster-deployment-workers.yaml",
        "examples/raycluster-statefulset-workers.yaml", "examples/raycluster-hpa-workers.yaml",
        "examples/raycluster-custom-head-service.yaml", "examples/raycluster-accelerators.yaml",
        "examples/raycluster-gcs-ft-redis.yaml", "examples/raycluster-gcs-ft-rocksdb.yaml",
        "examples/raycluster-ingress.yaml", "examples/raycluster-network-policy.yaml",
        "examples/raycluster-auth.yaml", "examples/raycluster-history-server.yaml",
        "examples/raycluster-tls.yaml"}) {
    INFO(path);
    auto problems = validate(load_manifest(path));
    INFO(ray::summarize(problems));
    CHECK(problems.empty());
  }
  CHECK(validate(base()).empty());
}

TEST_CASE("validation: a cluster without a spec, or with an empty one, is valid") {
  CHECK(validate(json{{"metadata", {{"name", "c"}}}}).empty());
  CHECK(validate(json{{"metadata", {{"name", "c"}}}, {"spec", nullptr}}).empty());
  CHECK(validate(json{{"metadata", {{"name", "c"}}}, {"spec", json::object()}}).empty());
}

TEST_CASE("validation: a spec that is not an object is one problem") {
  json rc = base();
  rc["spec"] = json::array();
  auto p = only_problem(rc);
  CHECK(p.field == "spec");
  CHECK(p.message == "must be an object, not a list");
  CHECK(validate(json("text")).size() == 1);
}

TEST_CASE("validation: the cluster name must be a DNS-1035 label") {
  for (const char* bad : {"1cluster", "My-Cluster", "ray_cluster", "c-"}) {
    json rc = base();
    rc["metadata"]["name"] = bad;
    auto p = only_problem(rc);
    CHECK(p.field == "metadata.name");
    CHECK_THAT(p.message,
               Catch::Contains("is not a valid RayCluster name") && Catch::Contains("DNS-1035"));
  }
  json rc = base();
  rc["metadata"]["name"] = "basic-ray-cluster";
  CHECK(validate(rc).empty());
}

TEST_CASE("validation: the cluster name is at most 47 characters, and the message says why") {
  json rc = base();
  rc["metadata"]["name"] = std::string(47, 'a');
  rc["spec"]["workerGroupSpecs"][0]["groupName"] = "g";
  CHECK(validate(rc).empty());

  rc["metadata"]["name"] = std::string(48, 'a');
  auto p = only_problem(rc);
  CHECK(p.field == "metadata.name");
  CHECK_THAT(p.message, Catch::Contains("48 characters") && Catch::Contains("at most 47") &&
                            Catch::Contains("-head-svc") && Catch::Contains("63"));

  // Over 63 the name is reported once, not a second time by the DNS-1035 check.
  rc["metadata"]["name"] = std::string(70, 'a');
  auto problems = validate(rc);
  REQUIRE(problems.size() == 2);
  CHECK(problems[0].field == "metadata.name");
  CHECK(problems[1].field == "spec.workerGroupSpecs[0].groupName");
}

TEST_CASE("validation: a missing or wrongly typed metadata.name is reported") {
  json rc = base();
  rc["metadata"].erase("name");
  CHECK(only_problem(rc).message == "is required");
  rc["metadata"]["name"] = 5;
  CHECK(only_problem(rc).message == "must be a string, not 5");
  rc.erase("metadata");
  CHECK(only_problem(rc).field == "metadata.name");
}

TEST_CASE("validation: wrongly typed spec fields are problems, not crashes") {
  json rc = base();
  rc["spec"]["rayVersion"] = 2.6;
  rc["spec"]["enableInTreeAutoscaling"] = "yes";
  rc["spec"]["suspend"] = 1;
  rc["spec"]["headGroupSpec"] = json::array();
  rc["spec"]["autoscalerOptions"] = "fast";
  std::vector<spec_problem> problems;
  REQUIRE_NOTHROW(problems = validate(rc));
  CHECK(fields(problems) ==
        std::vector<std::string>{"spec.rayVersion", "spec.enableInTreeAutoscaling", "spec.suspend",
                                 "spec.autoscalerOptions", "spec.headGroupSpec"});
  CHECK(problems[1].message == "must be a boolean (true or false), not the string \"yes\"");

  rc = base();
  rc["spec"]["workerGroupSpecs"] = {{"groupName", "g"}};
  CHECK(only_problem(rc).message == "must be a list, not an object");
}

TEST_CASE("validation: rayStartParams must be an object of strings") {
  json rc = base();
  group0(rc)["rayStartParams"] = {{"num-gpus", 0}, {"dashboard-host", "0.0.0.0"}};
  auto p = only_problem(rc);
  CHECK(p.field == "spec.workerGroupSpecs[0].rayStartParams.num-gpus");
  CHECK_THAT(p.message, Catch::Contains("must be a string"));

  group0(rc)["rayStartParams"]["num-gpus"] = "0";
  CHECK(validate(rc).empty());

  rc["spec"]["headGroupSpec"]["rayStartParams"] = "--num-cpus=0";
  CHECK(only_problem(rc).field == "spec.headGroupSpec.rayStartParams");
}

TEST_CASE("validation: rayStartParams may not set labels") {
  json rc = base();
  rc["spec"]["headGroupSpec"]["rayStartParams"] = {{"labels", "zone=a"}};
  auto p = only_problem(rc);
  CHECK(p.field == "spec.headGroupSpec.rayStartParams.labels");
  CHECK_THAT(p.message, Catch::Contains("not allowed"));

  rc["spec"]["headGroupSpec"]["rayStartParams"] = json::object();
  rc["spec"]["headGroupSpec"]["labels"] = {{"zone", "a"}};
  CHECK(validate(rc).empty());
}

TEST_CASE("validation: group resources conflict with the same rayStartParams") {
  json rc = base();
  group0(rc)["resources"] = {{"cpu", "4"}};
  CHECK(validate(rc).empty());
  group0(rc)["rayStartParams"] = {{"num-cpus", "4"}};
  auto p = only_problem(rc);
  CHECK(p.field == "spec.workerGroupSpecs[0].rayStartParams.num-cpus");
  CHECK_THAT(p.message, Catch::Contains("conflicts"));
}

TEST_CASE("validation: service types must be ClusterIP, NodePort or LoadBalancer") {
  json rc = base();
  rc["spec"]["headService"] = {{"type", "External"}};
  rc["spec"]["headGroupSpec"]["serviceType"] = "Headless";
  auto problems = validate(rc);
  REQUIRE(problems.size() == 2);
  CHECK(problems[0].field == "spec.headService.type");
  CHECK(problems[0].message ==
        "\"External\" is not allowed; use one of ClusterIP, NodePort, LoadBalancer");
  CHECK(problems[1].field == "spec.headGroupSpec.serviceType");

  for (const char* ok : {"ClusterIP", "NodePort", "LoadBalancer"}) {
    rc["spec"]["headService"]["type"] = ok;
    rc["spec"]["headGroupSpec"]["serviceType"] = ok;
    CHECK(validate(rc).empty());
  }
}

TEST_CASE("validation: the head Service's own name must be a valid Service name") {
  json rc = base();
  rc["spec"]["headGroupSpec"]["headService"] = {{"metadata", {{"name", "Ray_Head"}}}};
  auto problems = validate(rc);
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].field == "spec.headGroupSpec.headService.metadata.name");
  CHECK(problems[0].message.rfind("\"Ray_Head\" is not a valid Service name: ", 0) == 0);
  rc["spec"]["headGroupSpec"]["headService"]["metadata"]["name"] = "ray-head";
  CHECK(validate(rc).empty());
}

TEST_CASE("validation: a pod template must be an object with at least one container") {
  json rc = base();
  group0(rc)["template"] = "pod";
  CHECK(only_problem(rc).field == "spec.workerGroupSpecs[0].template");

  group0(rc)["template"] = {{"spec", {{"containers", json::array()}}}};
  auto p = only_problem(rc);
  CHECK(p.field == "spec.workerGroupSpecs[0].template.spec.containers");
  CHECK_THAT(p.message, Catch::Contains("at least one container"));

  group0(rc)["template"]["spec"]["containers"] = {"ray"};
  CHECK(only_problem(rc).field == "spec.workerGroupSpecs[0].template.spec.containers[0]");

  group0(rc)["template"]["spec"]["containers"] = {json::object()};
  CHECK(validate(rc).empty());
}

TEST_CASE("validation: only the Ray container may leave out its name and image") {
  json rc = base();
  group0(rc)["template"]["spec"]["containers"] = {
      json::object(), {{"image", "busybox"}}, {{"name", "side"}}};
  auto problems = validate(rc);
  CHECK(fields(problems) ==
        std::vector<std::string>{"spec.workerGroupSpecs[0].template.spec.containers[1].name",
                                 "spec.workerGroupSpecs[0].template.spec.containers[2].image"});

  group0(rc)["template"]["spec"]["containers"] = {{{"name", 1}, {"image", false}}};
  CHECK(fields(validate(rc)) ==
        std::vector<std::string>{"spec.workerGroupSpecs[0].template.spec.containers[0].name",
                                 "spec.workerGroupSpecs[0].template.spec.containers[0].image"});

  group0(rc)["template"]["spec"]["containers"] = {{{"name", "Ray_Worker"}}};
  CHECK_THAT(only_problem(rc).message, Catch::Contains("is not a valid container name"));

  group0(rc)["template"]["spec"]["containers"] = {{{"name", "ray"}},
                                                  {{"name", "ray"}, {"image", "x"}}};
  CHECK_THAT(
      only_problem(rc).message,
      Catch::Contains("already the name of spec.workerGroupSpecs[0].template.spec.containers[0]"));
}

TEST_CASE("validation: malformed quantities name the field and quote the value") {
  json rc = base();
  worker_container(rc)["resources"] = {{"limits", {{"cpu", "two"}, {"memory", "1Gi"}}}};
  auto p = only_problem(rc);
  CHECK(p.field == "spec.workerGroupSpecs[0].template.spec.containers[0].resources.limits.cpu");
  CHECK_THAT(p.to_string(),
             Catch::StartsWith("spec.workerGroupSpecs[0].template.spec.containers[0].resources."
                               "limits.cpu: \"two\" is not a valid quantity"));

  worker_container(rc)["resources"] = {{"limits", {{"cpu", 2}, {"memory", "1.5Gi"}}},
                                       {"requests", {{"cpu", "500m"}, {"nvidia.com/gpu", 1}}}};
  CHECK(validate(rc).empty());

  worker_container(rc)["resources"] = {{"requests", {{"nvidia.com/gpu", "one"}}}};
  CHECK(only_problem(rc).field ==
        "spec.workerGroupSpecs[0].template.spec.containers[0].resources.requests[nvidia.com/gpu]");

  worker_container(rc)["resources"] = {{"limits", "2 cpus"}};
  CHECK(only_problem(rc).field ==
        "spec.workerGroupSpecs[0].template.spec.containers[0].resources.limits");
}

TEST_CASE("validation: negative quantities and requests above limits are reported") {
  json rc = base();
  worker_container(rc)["resources"] = {{"limits", {{"cpu", "-1"}}}};
  CHECK_THAT(only_problem(rc).message, Catch::Contains("negative"));

  worker_container(rc)["resources"] = {{"limits", {{"memory", "1Gi"}}},
                                       {"requests", {{"memory", "2Gi"}}}};
  auto p = only_problem(rc);
  CHECK(p.field ==
        "spec.workerGroupSpecs[0].template.spec.containers[0].resources.requests.memory");
  CHECK_THAT(p.message, Catch::Contains("greater than the limit (1Gi)"));

  worker_container(rc)["resources"]["requests"]["memory"] = "1024Mi";
  CHECK(validate(rc).empty());
}

TEST_CASE("validation: ports need an integer containerPort between 1 and 65535") {
  json rc = base();
  const std::string ports = "spec.workerGroupSpecs[0].template.spec.containers[0].ports";
  worker_container(rc)["ports"] = {{{"containerPort", 0}},
                                   {{"containerPort", "8080"}},
                                   {{"name", "metrics"}},
                                   {{"containerPort", 70000}},
                                   7};
  auto problems = validate(rc);
  CHECK(fields(problems) == std::vector<std::string>{ports + "[0].containerPort",
                                                     ports + "[1].containerPort",
                                                     ports + "[2].containerPort",
                                                     ports + "[3].containerPort", ports + "[4]"});
  CHECK(problems[0].message == "must be at least 1, not 0");
  CHECK(problems[3].message == "must be at most 65535, not 70000");

  worker_container(rc)["ports"] = {{{"containerPort", 8080}, {"name", "metrics"}}};
  CHECK(validate(rc).empty());
  worker_container(rc)["ports"] = {{"containerPort", 8080}};
  CHECK(only_problem(rc).field == ports);
}

TEST_CASE("validation: env must be a list of named variables") {
  json rc = base();
  worker_container(rc)["env"] = {{"A", "1"}};
  CHECK(only_problem(rc).message == "must be a list, not an object");
  worker_container(rc)["env"] = {{{"value", "1"}}};
  CHECK(only_problem(rc).field ==
        "spec.workerGroupSpecs[0].template.spec.containers[0].env[0].name");
  worker_container(rc)["env"] = {{{"name", ""}}};
  CHECK(only_problem(rc).message == "must not be empty");
  worker_container(rc)["env"] = {{{"name", "A"}, {"value", "1"}}};
  CHECK(validate(rc).empty());
}

TEST_CASE("validation: restartPolicy must be Always, OnFailure or Never") {
  json rc = base();
  group0(rc)["template"]["spec"]["restartPolicy"] = "Sometimes";
  auto p = only_problem(rc);
  CHECK(p.field == "spec.workerGroupSpecs[0].template.spec.restartPolicy");
  CHECK(p.message == "\"Sometimes\" is not allowed; use one of Always, OnFailure, Never");
  for (const char* ok : {"Always", "OnFailure", "Never"}) {
    group0(rc)["template"]["spec"]["restartPolicy"] = ok;
    CHECK(validate(rc).empty());
  }
}

TEST_CASE("validation: autoscaler v2 needs restartPolicy Never on head and workers") {
  json rc = base();
  rc["spec"]["enableInTreeAutoscaling"] = true;
  rc["spec"]["autoscalerOptions"] = {{"version", "v2"}};
  rc["spec"]["headGroupSpec"]["template"]["spec"]["restartPolicy"] = "Always";
  group0(rc)["template"]["spec"]["restartPolicy"] = "OnFailure";
  CHECK(fields(validate(rc)) ==
        std::vector<std::string>{"spec.headGroupSpec.template.spec.restartPolicy",
                                 "spec.workerGroupSpecs[0].template.spec.restartPolicy"});
  rc["spec"]["headGroupSpec"]["template"]["spec"]["restartPolicy"] = "Never";
  group0(rc)["template"]["spec"].erase("restartPolicy");
  CHECK(validate(rc).empty());
  rc["spec"]["autoscalerOptions"]["version"] = "v3";
  CHECK(only_problem(rc).field == "spec.autoscalerOptions.version");
}

TEST_CASE("validation: volumeClaimTemplates need a unique, valid metadata.name") {
  json rc = base();
  json& templates = rc["spec"]["headGroupSpec"]["volumeClaimTemplates"];
  templates = {{{"metadata", {{"name", "data"}}}, {"spec", json::object()}},
               {{"spec", json::object()}},
               {{"metadata", {{"name", "data"}}}},
               {{"metadata", {{"name", "Data"}}}},
               "pvc"};
  const std::string path = "spec.headGroupSpec.volumeClaimTemplates";
  CHECK(fields(validate(rc)) == std::vector<std::string>{path + "[1].metadata.name",
                                                         path + "[2].metadata.name",
                                                         path + "[3].metadata.name", path + "[4]"});
  templates = {{{"metadata", {{"name", "data"}}}}, {{"metadata", {{"name", "logs"}}}}};
  CHECK(validate(rc).empty());
  rc["spec"]["headGroupSpec"]["volumeClaimTemplates"] = {{"metadata", {{"name", "data"}}}};
  CHECK(only_problem(rc).field == path);
}

TEST_CASE("validation: worker groups must be objects with a groupName") {
  json rc = base();
  rc["spec"]["workerGroupSpecs"].push_back("small");
  rc["spec"]["workerGroupSpecs"].push_back({{"replicas", 1}});
  auto problems = validate(rc);
  CHECK(fields(problems) ==
        std::vector<std::string>{"spec.workerGroupSpecs[1]", "spec.workerGroupSpecs[2].groupName"});
  CHECK_THAT(problems[1].message, Catch::Contains("is required"));
}

TEST_CASE("validation: group names must be DNS-1123 labels and not the head's") {
  json rc = base();
  for (const char* bad : {"Small", "small_worker", "-small", "headgroup"}) {
    group0(rc)["groupName"] = bad;
    INFO(bad);
    CHECK(only_problem(rc).field == "spec.workerGroupSpecs[0].groupName");
  }
  group0(rc)["groupName"] = "1-small-worker";
  CHECK(validate(rc).empty());
}

TEST_CASE("validation: duplicate group names are reported with both indices") {
  json rc = base();
  rc["spec"]["workerGroupSpecs"].push_back({{"groupName", "other"}});
  rc["spec"]["workerGroupSpecs"].push_back({{"groupName", "g"}});
  auto p = only_problem(rc);
  CHECK(p.field == "spec.workerGroupSpecs[2].groupName");
  CHECK(p.message ==
        "\"g\" is already the name of spec.workerGroupSpecs[0]; group names must be unique");
}

TEST_CASE("validation: cluster and group names together fit in 49 characters") {
  json rc = base();
  rc["metadata"]["name"] = std::string(40, 'c');
  group0(rc)["groupName"] = std::string(9, 'g');
  CHECK(validate(rc).empty());
  group0(rc)["groupName"] = std::string(10, 'g');
  auto p = only_problem(rc);
  CHECK(p.field == "spec.workerGroupSpecs[0].groupName");
  CHECK_THAT(p.message, Catch::Contains("50 characters") && Catch::Contains("at most 49") &&
                            Catch::Contains("-worker-"));
}

TEST_CASE("validation: replica counts are non-negative integers, numOfHosts at least 1") {
  json rc = base();
  const std::string g = "spec.workerGroupSpecs[0]";
  group0(rc)["replicas"] = -1;
  group0(rc)["minReplicas"] = "1";
  group0(rc)["maxReplicas"] = 2.5;
  group0(rc)["numOfHosts"] = 0;
  auto problems = validate(rc);
  CHECK(fields(problems) == std::vector<std::string>{g + ".replicas", g + ".minReplicas",
                                                     g + ".maxReplicas", g + ".numOfHosts"});
  CHECK(problems[0].message == "must not be negative, not -1");
  CHECK(problems[1].message == "must be an integer, not the string \"1\"");
  CHECK(problems[2].message == "must be an integer, not 2.5");
  CHECK(problems[3].message == "must be at least 1, not 0");

  group0(rc) = {{"groupName", "g"},
                {"replicas", 0},
                {"minReplicas", 0},
                {"maxReplicas", 2.0},
                {"numOfHosts", 2}};
  CHECK(validate(rc).empty());
  group0(rc)["maxReplicas"] = 4294967296LL;
  CHECK(only_problem(rc).message == "must be at most 2147483647, not 4294967296");
}

TEST_CASE("validation: minReplicas above maxReplicas is a problem, replicas above it is not") {
  json rc = base();
  group0(rc)["minReplicas"] = 5;
  group0(rc)["maxReplicas"] = 3;
  auto p = only_problem(rc);
  CHECK(p.to_string() == "spec.workerGroupSpecs[0].minReplicas: 5 is greater than maxReplicas (3)");

  group0(rc)["minReplicas"] = 1;
  group0(rc)["replicas"] = 10;
  CHECK(validate(rc).empty());
}

TEST_CASE("validation: the idle timeout is non-negative, and minutes and seconds agree") {
  json rc = base();
  rc["spec"]["autoscalerOptions"] = {{"idleTimeoutSeconds", -5}, {"idleTimeoutMinutes", -1}};
  CHECK(fields(validate(rc)) ==
        std::vector<std::string>{"spec.autoscalerOptions.idleTimeoutSeconds",
                                 "spec.autoscalerOptions.idleTimeoutMinutes"});

  rc["spec"]["autoscalerOptions"] = {{"idleTimeoutSeconds", 30}, {"idleTimeoutMinutes", 2}};
  auto p = only_problem(rc);
  CHECK(p.field == "spec.autoscalerOptions.idleTimeoutSeconds");
  CHECK_THAT(p.message, Catch::Contains("30") && Catch::Contains("idleTimeoutMinutes (2") &&
                            Catch::Contains("120 seconds"));

  rc["spec"]["autoscalerOptions"] = {{"idleTimeoutSeconds", 120}, {"idleTimeoutMinutes", 2}};
  CHECK(validate(rc).empty());
  rc["spec"]["autoscalerOptions"] = {{"idleTimeoutMinutes", 0.5}};
  CHECK(validate(rc).empty());
  rc["spec"]["autoscalerOptions"] = {{"idleTimeoutSeconds", 1.5}};
  CHECK(only_problem(rc).message == "must be an integer, not 1.5");
  rc["spec"]["autoscalerOptions"] = {{"idleTimeoutMinutes", "5m"}};
  CHECK(only_problem(rc).message == "must be a number, not the string \"5m\"");
}

TEST_CASE("validation: upscalingMode is an enum and upscalingSpeed is positive") {
  json rc = base();
  rc["spec"]["autoscalerOptions"] = {{"upscalingMode", "Fast"}, {"upscalingSpeed", 0}};
  auto problems = validate(rc);
  CHECK(fields(problems) == std::vector<std::string>{"spec.autoscalerOptions.upscalingMode",
                                                     "spec.autoscalerOptions.upscalingSpeed"});
  CHECK(problems[0].message ==
        "\"Fast\" is not allowed; use one of Default, Aggressive, Conservative");
  CHECK(problems[1].message == "must be greater than 0, not 0");

  rc["spec"]["autoscalerOptions"] = {{"upscalingMode", "Conservative"}, {"upscalingSpeed", 0.5}};
  CHECK(validate(rc).empty());
}

TEST_CASE("validation: autoscalerOptions image, pull policy and resources are checked") {
  json rc = base();
  rc["spec"]["autoscalerOptions"] = {{"image", 7},
                                     {"imagePullPolicy", "Sometimes"},
                                     {"resources", {{"limits", {{"memory", "lots"}}}}},
                                     {"env", {"A=1"}}};
  CHECK(fields(validate(rc)) ==
        std::vector<std::string>{
            "spec.autoscalerOptions.image", "spec.autoscalerOptions.imagePullPolicy",
            "spec.autoscalerOptions.resources.limits.memory", "spec.autoscalerOptions.env[0]"});
  rc["spec"]["autoscalerOptions"] = {{"image", "rayproject/ray:2.9.0"},
                                     {"imagePullPolicy", "IfNotPresent"},
                                     {"resources", {{"limits", {{"memory", "512Mi"}}}}},
                                     {"env", {{{"name", "A"}, {"value", "1"}}}}};
  CHECK(validate(rc).empty());
}

TEST_CASE("validation: with autoscaling, a Ray container with resources but no CPU is a problem") {
  json rc = base();
  rc["spec"]["enableInTreeAutoscaling"] = true;
  worker_container(rc)["resources"] = {{"limits", {{"memory", "1Gi"}}}};
  auto p = only_problem(rc);
  CHECK(p.field == "spec.workerGroupSpecs[0].template.spec.containers[0].resources");
  CHECK_THAT(p.message, Catch::Contains("cpu"));

  group0(rc)["rayStartParams"] = {{"num-cpus", "2"}};
  CHECK(validate(rc).empty());
  group0(rc).erase("rayStartParams");
  rc["spec"]["enableInTreeAutoscaling"] = false;
  CHECK(validate(rc).empty());
  rc["spec"]["enableInTreeAutoscaling"] = true;
  worker_container(rc)["resources"] = json::object();  // nothing declared: defaults give a CPU
  CHECK(validate(rc).empty());
}

TEST_CASE("validation: template labels must be valid Kubernetes labels") {
  json rc = base();
  group0(rc)["template"]["metadata"] = {{"labels", {{"team", "ml ops"}, {"-bad", "x"}}}};
  CHECK(fields(validate(rc)) ==
        std::vector<std::string>{"spec.workerGroupSpecs[0].template.metadata.labels.-bad",
                                 "spec.workerGroupSpecs[0].template.metadata.labels.team"});
  group0(rc)["template"]["metadata"] = {{"labels", {{"example.com/team", "ml-ops"}}}};
  CHECK(validate(rc).empty());
}

TEST_CASE("validation: scaleStrategy.workersToDelete must be a list of pod names") {
  json rc = base();
  group0(rc)["scaleStrategy"] = {{"workersToDelete", "c-g-worker-abcde"}};
  CHECK(only_problem(rc).field == "spec.workerGroupSpecs[0].scaleStrategy.workersToDelete");
  group0(rc)["scaleStrategy"] = {{"workersToDelete", {"c-g-worker-abcde", 3}}};
  CHECK(only_problem(rc).field == "spec.workerGroupSpecs[0].scaleStrategy.workersToDelete[1]");
  group0(rc)["scaleStrategy"] = {{"workersToDelete", {"c-g-worker-abcde"}}};
  CHECK(validate(rc).empty());
}

TEST_CASE("validation: every problem is reported when there are several, in field order") {
  json rc = base();
  rc["metadata"]["name"] = "Bad_Name";
  rc["spec"]["suspend"] = "no";
  rc["spec"]["autoscalerOptions"] = {{"upscalingMode", "Fast"}};
  rc["spec"]["headGroupSpec"]["serviceType"] = "Headless";
  group0(rc)["minReplicas"] = 4;
  rc["spec"]["workerGroupSpecs"].push_back({{"groupName", "g"}, {"numOfHosts", 0}});
  worker_container(rc)["resources"] = {{"limits", {{"cpu", "two"}}}};

  auto problems = validate(rc);
  CHECK(fields(problems) ==
        std::vector<std::string>{
            "metadata.name", "spec.suspend", "spec.autoscalerOptions.upscalingMode",
            "spec.headGroupSpec.serviceType", "spec.workerGroupSpecs[0].minReplicas",
            "spec.workerGroupSpecs[0].template.spec.containers[0].resources.limits.cpu",
            "spec.workerGroupSpecs[1].groupName", "spec.workerGroupSpecs[1].numOfHosts"});
}

TEST_CASE("summarize: one line naming every problem") {
  CHECK(ray::summarize({}) == "");
  CHECK(ray::summarize({{"spec.suspend", "must be a boolean"}}) ==
        "1 problem: spec.suspend: must be a boolean");
  CHECK(ray::summarize({{"a", "x"}, {"b", "y"}, {"c", "z"}}) == "3 problems: a: x; b: y; c: z");
}

TEST_CASE("validation: upgradeStrategy takes None, Recreate or RollingUpdate, and sane budgets") {
  json rc = base();
  rc["spec"]["upgradeStrategy"] = {{"type", "RollingUpdate"},
                                   {"rollingUpdate", {{"maxUnavailable", "25%"}, {"maxSurge", 2}}}};
  rc["spec"]["workerGroupSpecs"][0]["upgradeStrategy"] = {{"type", "None"}};
  CHECK(validate(rc).empty());

  json bad = base();
  bad["spec"]["upgradeStrategy"] = {{"type", "Rolling"}};
  CHECK(only_problem(bad).field == "spec.upgradeStrategy.type");

  bad = base();
  bad["spec"]["workerGroupSpecs"][0]["upgradeStrategy"] = {
      {"type", "RollingUpdate"}, {"rollingUpdate", {{"maxSurge", "lots"}}}};
  auto p = only_problem(bad);
  CHECK(p.field == "spec.workerGroupSpecs[0].upgradeStrategy.rollingUpdate.maxSurge");
  CHECK(p.message ==
        "must be a non-negative integer or a percentage such as \"25%\", not \"lots\"");

  bad = base();
  bad["spec"]["upgradeStrategy"] = {{"type", "RollingUpdate"},
                                    {"rollingUpdate", {{"maxUnavailable", 0}, {"maxSurge", "0%"}}}};
  p = only_problem(bad);
  CHECK(p.field == "spec.upgradeStrategy.rollingUpdate");
  CHECK(p.message == "maxUnavailable and maxSurge must not both be 0: nothing could be replaced");
}

TEST_CASE("validation: workloadKind is Pod, Deployment or StatefulSet, and Pod with autoscaling") {
  json rc = base();
  rc["spec"]["workerGroupSpecs"][0]["workloadKind"] = "StatefulSet";
  rc["spec"]["workerGroupSpecs"][0]["volumeClaimTemplates"] =
      json::parse(R"([{"metadata": {"name": "spill"}, "spec": {}}])");
  CHECK(validate(rc).empty());

  json bad = base();
  bad["spec"]["workerGroupSpecs"][0]["workloadKind"] = "DaemonSet";
  CHECK(only_problem(bad).field == "spec.workerGroupSpecs[0].workloadKind");

  bad = base();
  bad["spec"]["enableInTreeAutoscaling"] = true;
  bad["spec"]["workerGroupSpecs"][0]["workloadKind"] = "Deployment";
  auto p = only_problem(bad);
  CHECK(p.field == "spec.workerGroupSpecs[0].workloadKind");
  CHECK(p.message ==
        "is Deployment: in-tree autoscaling needs workloadKind Pod, since Ray's autoscaler "
        "deletes the worker pods it names");

  bad = base();
  bad["spec"]["workerGroupSpecs"][0]["volumeClaimTemplates"] =
      json::parse(R"([{"metadata": {"name": "spill"}}])");
  p = only_problem(bad);
  CHECK(p.field == "spec.workerGroupSpecs[0].volumeClaimTemplates");
  CHECK(p.message ==
        "needs workloadKind StatefulSet: only a StatefulSet gives each worker its own claims");
}

TEST_CASE(
    "validation: an HPA needs a Deployment or StatefulSet group and in-tree autoscaling off") {
  const json hpa = json::parse(R"({"metrics": [{"type": "Resource", "resource": {"name": "cpu",
      "target": {"type": "Utilization", "averageUtilization": 50}}}]})");
  json rc = base();
  rc["spec"]["workerGroupSpecs"][0]["workloadKind"] = "Deployment";
  rc["spec"]["workerGroupSpecs"][0]["horizontalPodAutoscaler"] = hpa;
  CHECK(validate(rc).empty());

  json bad = base();
  bad["spec"]["workerGroupSpecs"][0]["horizontalPodAutoscaler"] = hpa;
  auto p = only_problem(bad);
  CHECK(p.field == "spec.workerGroupSpecs[0].horizontalPodAutoscaler");
  CHECK(p.message ==
        "needs workloadKind Deployment or StatefulSet: an HPA scales a workload's replicas, and "
        "Pod groups have no workload");

  bad = rc;
  bad["spec"]["enableInTreeAutoscaling"] = true;
  bool both_autoscalers = false;
  for (const auto& problem : validate(bad))
    both_autoscalers |= problem.field == "spec.workerGroupSpecs[0].horizontalPodAutoscaler" &&
                        problem.message.find("Ray's autoscaler and the HPA") != std::string::npos;
  CHECK(both_autoscalers);

  bad = rc;
  bad["spec"]["workerGroupSpecs"][0]["horizontalPodAutoscaler"]["metrics"][0].erase("type");
  CHECK(only_problem(bad).field == "spec.workerGroupSpecs[0].horizontalPodAutoscaler.metrics[0]");
  bad = rc;
  bad["spec"]["workerGroupSpecs"][0]["horizontalPodAutoscaler"]["behavior"] = "fast";
  CHECK(only_problem(bad).field == "spec.workerGroupSpecs[0].horizontalPodAutoscaler.behavior");
}

TEST_CASE("validation: fields that ask for nothing on their own are listed, not refused") {
  json rc = base();
  CHECK(ray::unacted_fields(rc).empty());
  rc["spec"]["tlsOptions"] = {{"enabled", true}};
  rc["spec"]["networkPolicy"] = json::object();
  rc["spec"]["headGroupSpec"]["ingressOptions"] = {{"host", "ray.example.com"}};
  CHECK(ray::unacted_fields(rc) ==
        std::vector<std::string>{"spec.headGroupSpec.ingressOptions (enableIngress is not true)"});
  CHECK(validate(rc).empty());
  rc["spec"]["headGroupSpec"]["enableIngress"] = true;
  CHECK(ray::unacted_fields(rc).empty());
}

TEST_CASE(
    "validation: the history collector needs an image, its own env and name are the operator's") {
  auto fields_of = [](const json& rc) { return fields(validate(rc)); };
  json rc = base();
  rc["spec"]["historyServerOptions"] = json::object();
  CHECK(fields_of(rc) == std::vector<std::string>{"spec.historyServerOptions.collectorOptions"});
  rc["spec"]["historyServerOptions"]["collectorOptions"] = {{"image", "collector:1"}};
  CHECK(validate(rc).empty());
  json reserved = rc;
  reserved["spec"]["historyServerOptions"]["collectorOptions"]["env"] =
      json::parse(R"([{"name": "RAY_ROLE", "value": "Head"}])");
  CHECK(fields_of(reserved) ==
        std::vector<std::string>{"spec.historyServerOptions.collectorOptions.env"});
  json no_image = rc;
  no_image["spec"]["historyServerOptions"]["collectorOptions"].erase("image");
  CHECK(fields_of(no_image) ==
        std::vector<std::string>{"spec.historyServerOptions.collectorOptions.image"});
  json named_like = rc;
  named_like["spec"]["workerGroupSpecs"][0]["template"]["spec"]["containers"] =
      json::parse(R"([{"name": "ray-worker"}, {"name": "collector", "image": "x:1"}])");
  CHECK(fields_of(named_like) ==
        std::vector<std::string>{"spec.workerGroupSpecs[0].template.spec.containers"});
}

TEST_CASE(
    "validation: with tlsOptions, Ray's TLS env and the certificate's mount are the operator's") {
  json rc = base();
  rc["spec"]["tlsOptions"] = {{"enabled", true}};
  CHECK(validate(rc).empty());
  rc["spec"]["headGroupSpec"]["template"]["spec"]["containers"] = json::parse(R"([{
      "name": "ray-head", "env": [{"name": "RAY_USE_TLS", "value": "0"}],
      "volumeMounts": [{"name": "certs", "mountPath": "/etc/ray/tls"}]}])");
  rc["spec"]["autoscalerOptions"] = {{"env", json::parse(R"([{"name": "RAY_TLS_CA_CERT",
      "value": "/x"}])")}};
  CHECK(fields(validate(rc)) ==
        std::vector<std::string>{"spec.headGroupSpec.template.spec.containers[0].env",
                                 "spec.headGroupSpec.template.spec.containers[0].volumeMounts",
                                 "spec.autoscalerOptions.env"});
  rc["spec"]["tlsOptions"]["enabled"] = false;  // off: the user's own TLS settings stand
  CHECK(validate(rc).empty());
}

TEST_CASE("validation: token auth needs Ray 2.52, the pod's own token 2.55 and no shared one") {
  auto fields_of = [](const json& rc) { return fields(validate(rc)); };
  json rc = base();
  rc["spec"]["rayVersion"] = "2.52.0";
  rc["spec"]["authOptions"] = {{"mode", "token"}};
  CHECK(validate(rc).empty());
  json old = rc;
  old["spec"]["rayVersion"] = "2.51.1";
  CHECK(fields_of(old) == std::vector<std::string>{"spec.authOptions.mode"});
  json k8s = rc;
  k8s["spec"]["authOptions"]["enableK8sTokenAuth"] = true;
  CHECK(fields_of(k8s) == std::vector<std::string>{"spec.authOptions.enableK8sTokenAuth"});
  k8s["spec"]["rayVersion"] = "2.55.0";
  CHECK(validate(k8s).empty());
  k8s["spec"]["authOptions"]["secretName"] = "shared";
  CHECK(fields_of(k8s) == std::vector<std::string>{"spec.authOptions.secretName"});
  json mode = rc;
  mode["spec"]["authOptions"]["mode"] = "password";
  CHECK(fields_of(mode) == std::vector<std::string>{"spec.authOptions.mode"});
}

TEST_CASE("validation: network policy rules only where the mode restricts, for real groups") {
  auto fields_of = [](const json& rc) { return fields(validate(rc)); };
  json rc = base();
  rc["spec"]["networkPolicy"] = json::parse(R"({"mode": "DenyAllIngress",
      "head": {"ingressRules": [{}]}, "workerGroups": [{"groupName": "g", "ingressRules": [{}]}]})");
  CHECK(validate(rc).empty());
  json egress = rc;
  egress["spec"]["networkPolicy"]["head"]["egressRules"] = json::array({json::object()});
  CHECK(fields_of(egress) == std::vector<std::string>{"spec.networkPolicy.head.egressRules"});
  json ingress = rc;
  ingress["spec"]["networkPolicy"]["mode"] = "DenyAllEgress";
  CHECK(fields_of(ingress) ==
        std::vector<std::string>{"spec.networkPolicy.head.ingressRules",
                                 "spec.networkPolicy.workerGroups[0].ingressRules"});
  json unknown = rc;
  unknown["spec"]["networkPolicy"]["workerGroups"][0]["groupName"] = "nope";
  CHECK(fields_of(unknown) ==
        std::vector<std::string>{"spec.networkPolicy.workerGroups[0].groupName"});
  json mode = rc;
  mode["spec"]["networkPolicy"]["mode"] = "denyAll";  // a pre-release spelling
  CHECK(fields_of(mode) == std::vector<std::string>{"spec.networkPolicy.mode"});
}

TEST_CASE("validation: ingress options' path type and path") {
  json rc = base();
  rc["spec"]["headGroupSpec"]["ingressOptions"] = {{"path", "ray"}, {"pathType", "Regex"}};
  CHECK(fields(validate(rc)) ==
        std::vector<std::string>{"spec.headGroupSpec.ingressOptions.pathType",
                                 "spec.headGroupSpec.ingressOptions.path"});
}

TEST_CASE("validation: a worker group's priority needs Ray 2.56 and autoscaler v2") {
  json rc = base();
  rc["spec"]["workerGroupSpecs"][0]["priority"] = 0;  // the default: nothing asked for
  CHECK(validate(rc).empty());
  rc["spec"]["workerGroupSpecs"][0]["priority"] = 2;
  CHECK(only_problem(rc).message.find("2.56.0") != std::string::npos);
  rc["spec"]["rayVersion"] = "2.56.0";
  CHECK(only_problem(rc).message.find("autoscaler v2") != std::string::npos);
  rc["spec"]["autoscalerOptions"] = {{"version", "v2"}};
  CHECK(validate(rc).empty());
  rc["spec"]["workerGroupSpecs"][0]["priority"] = "high";
  CHECK(only_problem(rc).field == "spec.workerGroupSpecs[0].priority");
}

TEST_CASE("validation: GCS fault tolerance's settings live in one place") {
  auto fields_of = [](const json& rc) { return fields(validate(rc)); };
  json rc = base();
  rc["spec"]["gcsFaultToleranceOptions"] = {{"redisAddress", "redis:6379"},
                                            {"redisPassword", {{"value", "x"}}}};
  CHECK(validate(rc).empty());

  json both = rc;
  both["metadata"]["annotations"]["ray.io/ft-enabled"] = "true";
  CHECK(fields_of(both) == std::vector<std::string>{"spec.gcsFaultToleranceOptions"});

  json doubled = rc;
  doubled["spec"]["headGroupSpec"]["rayStartParams"] = {{"redis-password", "y"}};
  doubled["spec"]["headGroupSpec"]["template"]["spec"]["containers"] = json::parse(
      R"([{"name": "ray-head", "env": [{"name": "RAY_REDIS_ADDRESS", "value": "r"}]}])");
  CHECK(fields_of(doubled) ==
        std::vector<std::string>{"spec.headGroupSpec.rayStartParams.redis-password",
                                 "spec.headGroupSpec.template.spec.containers[0].env"});

  json rocks = base();
  rocks["spec"]["gcsFaultToleranceOptions"] = {{"backend", "rocksdb"}, {"redisAddress", "r:6379"}};
  CHECK(fields_of(rocks) == std::vector<std::string>{"spec.gcsFaultToleranceOptions.redisAddress"});
  json redis = base();
  redis["spec"]["gcsFaultToleranceOptions"] = {{"storage", {{"size", "1Gi"}}}};
  CHECK(fields_of(redis) == std::vector<std::string>{"spec.gcsFaultToleranceOptions.storage"});

  json user = base();
  user["spec"]["headGroupSpec"]["rayStartParams"] = {{"redis-username", "u"}};
  CHECK(fields_of(user) ==
        std::vector<std::string>{"spec.headGroupSpec.rayStartParams.redis-username"});

  // The address in the head's env is the annotation form's; without it, it is a mistake.
  json env_only = base();
  env_only["spec"]["headGroupSpec"]["template"]["spec"]["containers"] = json::parse(
      R"([{"name": "ray-head", "env": [{"name": "RAY_REDIS_ADDRESS", "value": "r"}]}])");
  CHECK(fields_of(env_only) ==
        std::vector<std::string>{"spec.headGroupSpec.template.spec.containers[0].env"});
  env_only["metadata"]["annotations"]["ray.io/ft-enabled"] = "true";
  CHECK(validate(env_only).empty());
}

TEST_CASE(
    "validation: rocksdb's claim is the operator's or the user's, and its mount is kept free") {
  auto fields_of = [](const json& rc) { return fields(validate(rc)); };
  json rc = base();
  rc["spec"]["gcsFaultToleranceOptions"] = json::parse(R"({"backend": "rocksdb",
      "storage": {"size": "2Gi", "accessModes": ["ReadWriteOnce"], "deletionPolicy": "Retain"}})");
  CHECK(validate(rc).empty());
  json both = rc;
  both["spec"]["gcsFaultToleranceOptions"]["storage"]["claimName"] = "mine";
  CHECK(fields_of(both) ==
        std::vector<std::string>{"spec.gcsFaultToleranceOptions.storage.size",
                                 "spec.gcsFaultToleranceOptions.storage.accessModes"});
  json policy = rc;
  policy["spec"]["gcsFaultToleranceOptions"]["storage"]["deletionPolicy"] = "Keep";
  CHECK(fields_of(policy) ==
        std::vector<std::string>{"spec.gcsFaultToleranceOptions.storage.deletionPolicy"});
  json mounted = rc;
  mounted["spec"]["headGroupSpec"]["template"]["spec"] = json::parse(R"({"containers": [
      {"name": "ray-head", "env": [{"name": "RAY_gcs_storage_path", "value": "/x"}],
       "volumeMounts": [{"name": "state", "mountPath": "/data/gcs"}]}],
      "volumes": [{"name": "gcs-storage", "emptyDir": {}}]})");
  CHECK(fields_of(mounted) ==
        std::vector<std::string>{"spec.headGroupSpec.template.spec.containers[0].env",
                                 "spec.headGroupSpec.template.spec.containers[0].volumeMounts",
                                 "spec.headGroupSpec.template.spec.volumes"});
  json namespaced = rc;
  namespaced["spec"]["gcsFaultToleranceOptions"]["externalStorageNamespace"] = "ns";
  CHECK(fields_of(namespaced) ==
        std::vector<std::string>{"spec.gcsFaultToleranceOptions.externalStorageNamespace"});
}
