#include "ray/defaults.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "k8s/yaml_json.hpp"
#include "ray/validation.hpp"
#include "test/unit/ray/manifests.hpp"

using nlohmann::json;
using ray::defaults_patch;
using ray::with_defaults;

namespace {

// The seed as the API server stores it: with a resourceVersion and the namespace of the URL.
json stored_seed() {
  json rc = load_manifest("examples/raycluster-seed.yaml");
  rc["metadata"]["namespace"] = "ray";
  rc["metadata"]["resourceVersion"] = "4711";
  return rc;
}

// RFC 7386, as the API server applies a merge patch.
json applied(json target, const json& patch) {
  target.merge_patch(patch);
  return target;
}

// Every value of `original` is in `result` at the same place (arrays keep their length).
bool keeps(const json& original, const json& result) {
  if (original.is_object()) {
    if (!result.is_object()) return false;
    for (const auto& [key, value] : original.items())
      if (!value.is_null() && (!result.contains(key) || !keeps(value, result[key]))) return false;
    return true;
  }
  if (original.is_array()) {
    if (!result.is_array() || result.size() != original.size()) return false;
    for (size_t i = 0; i < original.size(); ++i)
      if (!keeps(original[i], result[i])) return false;
    return true;
  }
  return original == result;
}

const json& ray_container(const json& group) {
  return group["template"]["spec"]["containers"][0];
}

}  // namespace

TEST_CASE("defaults: the seed's YAML becomes a full spec") {
  json rc = with_defaults(load_manifest("examples/raycluster-seed.yaml"));
  const json& spec = rc["spec"];

  CHECK(rc["metadata"]["namespace"] == "default");
  CHECK(spec["rayVersion"] == "2.6.0");
  CHECK(spec["enableInTreeAutoscaling"] == true);
  CHECK(spec["suspend"] == false);
  CHECK(spec["autoscalerOptions"] == json::object());

  const json& head = spec["headGroupSpec"];
  CHECK(head["rayStartParams"] == json::object());
  CHECK(head["serviceType"] == "ClusterIP");
  REQUIRE(head["template"]["spec"]["containers"].size() == 1);
  CHECK(ray_container(head)["name"] == "ray-head");
  CHECK(ray_container(head)["image"] == "rayproject/ray:2.6.0");
  json head_quantities = {{"cpu", "1"}, {"memory", "2Gi"}};
  CHECK(ray_container(head)["resources"] ==
        json({{"limits", head_quantities}, {"requests", head_quantities}}));

  REQUIRE(spec["workerGroupSpecs"].size() == 1);
  const json& group = spec["workerGroupSpecs"][0];
  CHECK(group["groupName"] == "small-worker");
  CHECK(group["replicas"] == 2);
  CHECK(group["minReplicas"] == 1);
  CHECK(group["maxReplicas"] == 3);
  CHECK(group["numOfHosts"] == 1);
  CHECK(group["rayStartParams"] == json({{"dashboard-host", "0.0.0.0"}, {"num-gpus", "0"}}));
  CHECK_FALSE(group.contains("scaleStrategy"));
  CHECK(ray_container(group)["name"] == "ray-worker");
  CHECK(ray_container(group)["image"] == "rayproject/ray:2.6.0");
  json worker_quantities = {{"cpu", "1"}, {"memory", "1Gi"}};
  CHECK(ray_container(group)["resources"] ==
        json({{"limits", worker_quantities}, {"requests", worker_quantities}}));
}

TEST_CASE("defaults: the seed's headService.type becomes the head group's serviceType") {
  json rc = load_manifest("examples/raycluster-seed.yaml");
  rc["spec"]["headService"]["type"] = "NodePort";
  CHECK(with_defaults(rc)["spec"]["headGroupSpec"]["serviceType"] == "NodePort");
  CHECK(with_defaults(rc)["spec"]["headService"] == json({{"type", "NodePort"}}));
}

TEST_CASE("defaults: a custom head Service's type is the serviceType when none is given") {
  json rc = {
      {"metadata", {{"name", "c"}}},
      {"spec", {{"headGroupSpec", {{"headService", {{"spec", {{"type", "LoadBalancer"}}}}}}}}}};
  CHECK(with_defaults(rc)["spec"]["headGroupSpec"]["serviceType"] == "LoadBalancer");
  rc["spec"]["headGroupSpec"]["serviceType"] = "NodePort";
  CHECK(with_defaults(rc)["spec"]["headGroupSpec"]["serviceType"] == "NodePort");
}

TEST_CASE("defaults: an empty object gets a head group, no workers and the latest image") {
  json rc = with_defaults(json::object());
  CHECK(rc["metadata"]["namespace"] == "default");
  CHECK(rc["spec"]["rayVersion"] == "");
  CHECK(rc["spec"]["workerGroupSpecs"] == json::array());
  CHECK(ray_container(rc["spec"]["headGroupSpec"])["image"] == "rayproject/ray:latest");
  CHECK(rc["spec"]["headGroupSpec"]["serviceType"] == "ClusterIP");
}

TEST_CASE("defaults: an empty namespace is the default namespace") {
  CHECK(with_defaults(json{{"metadata", {{"namespace", ""}}}})["metadata"]["namespace"] ==
        "default");
  CHECK(with_defaults(json{{"metadata", {{"namespace", "ml"}}}})["metadata"]["namespace"] == "ml");
}

TEST_CASE("defaults: existing values are never changed") {
  json rc = load_manifest("examples/raycluster-v1-full.yaml");
  rc["metadata"]["namespace"] = "prod";
  rc["spec"]["suspend"] = true;
  rc["spec"]["headGroupSpec"]["serviceType"] = "NodePort";
  rc["spec"]["headGroupSpec"]["rayStartParams"]["num-cpus"] = "0";
  rc["spec"]["autoscalerOptions"]["idleTimeoutMinutes"] = 5;  // seconds already given: kept
  rc["spec"]["autoscalerOptions"]["upscalingSpeed"] = 0.5;    // mode already given: kept
  json& group = rc["spec"]["workerGroupSpecs"][0];
  group["replicas"] = 7;  // above maxReplicas: clamped by the builders, never rewritten
  group["numOfHosts"] = 2;
  group["scaleStrategy"] = {{"workersToDelete", {"raycluster-autoscaler-small-group-worker-x"}}};
  group["template"]["spec"]["containers"][0]["resources"] = {{"limits", {{"cpu", "3"}}}};
  group["template"]["spec"]["containers"].push_back({{"name", "sidecar"}, {"image", "busybox"}});

  json defaulted = with_defaults(rc);
  CHECK(keeps(rc, defaulted));
  CHECK_FALSE(keeps(rc, with_defaults(load_manifest("examples/raycluster-v1-full.yaml"))));
  CHECK(defaulted["metadata"]["namespace"] == "prod");
  CHECK(defaulted["spec"]["autoscalerOptions"]["idleTimeoutSeconds"] == 60);
  CHECK(defaulted["spec"]["autoscalerOptions"]["upscalingMode"] == "Default");
  const json& g = defaulted["spec"]["workerGroupSpecs"][0];
  CHECK(g["replicas"] == 7);
  CHECK(g["template"]["spec"]["containers"][0]["resources"] == json({{"limits", {{"cpu", "3"}}}}));
  CHECK(g["template"]["spec"]["containers"].size() == 2);
  CHECK(g["template"]["spec"]["containers"][1] ==
        json({{"name", "sidecar"}, {"image", "busybox"}}));
  CHECK(defaulted == with_defaults(defaulted));
}

TEST_CASE("defaults patch: the full v1 example lacks only suspend and numOfHosts") {
  json rc = load_manifest("examples/raycluster-v1-full.yaml");
  rc["metadata"]["resourceVersion"] = "12";
  json patch = defaults_patch(rc);
  CHECK(patch["spec"].size() == 2);
  CHECK(patch["spec"]["suspend"] == false);
  CHECK(patch["spec"]["workerGroupSpecs"][0]["numOfHosts"] == 1);
  CHECK_FALSE(patch["spec"].contains("headGroupSpec"));
  CHECK_FALSE(patch["spec"].contains("autoscalerOptions"));
}

TEST_CASE("defaults: idleTimeoutMinutes becomes idleTimeoutSeconds") {
  json rc = {{"spec", {{"autoscalerOptions", {{"idleTimeoutMinutes", 2}}}}}};
  json options = with_defaults(rc)["spec"]["autoscalerOptions"];
  CHECK(options["idleTimeoutSeconds"] == 120);
  CHECK(options["idleTimeoutSeconds"].is_number_integer());
  CHECK(options["idleTimeoutMinutes"] == 2);

  rc["spec"]["autoscalerOptions"]["idleTimeoutMinutes"] = 0.5;
  CHECK(with_defaults(rc)["spec"]["autoscalerOptions"]["idleTimeoutSeconds"] == 30);

  rc["spec"]["autoscalerOptions"]["idleTimeoutMinutes"] = -1;  // invalid: left to validation
  CHECK_FALSE(with_defaults(rc)["spec"]["autoscalerOptions"].contains("idleTimeoutSeconds"));
}

TEST_CASE("defaults: upscalingSpeed becomes upscalingMode") {
  auto mode_for = [](double speed) {
    json rc = {{"spec", {{"autoscalerOptions", {{"upscalingSpeed", speed}}}}}};
    return with_defaults(rc)["spec"]["autoscalerOptions"]["upscalingMode"];
  };
  CHECK(mode_for(0.5) == "Conservative");
  CHECK(mode_for(1) == "Conservative");
  CHECK(mode_for(1.5) == "Default");
  CHECK(mode_for(1000) == "Default");

  json without = with_defaults(json{{"spec", json::object()}});
  CHECK_FALSE(without["spec"]["autoscalerOptions"].contains("upscalingMode"));
  CHECK_FALSE(without["spec"]["autoscalerOptions"].contains("idleTimeoutSeconds"));
}

TEST_CASE("defaults: a missing replicas is minReplicas, a missing minReplicas 0") {
  json rc = {
      {"spec",
       {{"workerGroupSpecs", {{{"groupName", "a"}, {"minReplicas", 3}}, {{"groupName", "b"}}}}}}};
  json groups = with_defaults(rc)["spec"]["workerGroupSpecs"];
  CHECK(groups[0]["replicas"] == 3);
  CHECK(groups[1]["replicas"] == 0);
  CHECK(groups[1]["minReplicas"] == 0);
  CHECK(groups[1]["maxReplicas"] == ray::default_max_replicas);
  CHECK(groups[1]["numOfHosts"] == 1);
}

TEST_CASE("defaults: a Ray container that declares resources keeps them as they are") {
  json requests_only = {{"requests", {{"cpu", "2"}}}};
  json rc = {{"spec",
              {{"headGroupSpec",
                {{"template", {{"spec", {{"containers", {{{"resources", requests_only}}}}}}}}}}}}};
  json container = ray_container(with_defaults(rc)["spec"]["headGroupSpec"]);
  CHECK(container["resources"] == requests_only);
  CHECK(container["name"] == "ray-head");

  // An empty resources object declares nothing, so it is filled in.
  rc["spec"]["headGroupSpec"]["template"]["spec"]["containers"][0]["resources"] = json::object();
  container = ray_container(with_defaults(rc)["spec"]["headGroupSpec"]);
  CHECK(container["resources"]["limits"]["memory"] == "2Gi");
}

TEST_CASE("defaults: wrongly typed fields are left alone, never a crash") {
  json rc = {{"metadata", "x"},
             {"spec",
              {{"headGroupSpec", {{"template", {{"spec", {{"containers", "none"}}}}}}},
               {"autoscalerOptions", {{"idleTimeoutMinutes", "5"}, {"upscalingSpeed", true}}},
               {"workerGroupSpecs", {7, {{"groupName", "g"}, {"template", 3}}}}}}};
  json defaulted;
  REQUIRE_NOTHROW(defaulted = with_defaults(rc));
  CHECK(defaulted["metadata"] == "x");
  CHECK(defaulted["spec"]["headGroupSpec"]["template"]["spec"]["containers"] == "none");
  CHECK_FALSE(defaulted["spec"]["autoscalerOptions"].contains("idleTimeoutSeconds"));
  CHECK_FALSE(defaulted["spec"]["autoscalerOptions"].contains("upscalingMode"));
  CHECK(defaulted["spec"]["workerGroupSpecs"][0] == 7);
  CHECK(defaulted["spec"]["workerGroupSpecs"][1]["template"] == 3);
  CHECK(defaulted["spec"]["workerGroupSpecs"][1]["minReplicas"] == 0);

  CHECK(with_defaults(json("text")) == json("text"));
  CHECK(with_defaults(json{{"spec", 5}})["spec"] == 5);
  json not_a_list = {{"spec", {{"workerGroupSpecs", {{"groupName", "g"}}}}}};
  CHECK(with_defaults(not_a_list)["spec"]["workerGroupSpecs"] == json({{"groupName", "g"}}));
  CHECK_NOTHROW(defaults_patch(rc));
  CHECK(defaults_patch(json::array()) == json::object());
}

TEST_CASE("defaults patch: the seed's patch adds the defaults and a resourceVersion") {
  json rc = stored_seed();
  json patch = defaults_patch(rc);

  CHECK(patch["metadata"] == json({{"resourceVersion", "4711"}}));
  CHECK_FALSE(patch.contains("status"));
  const json& spec = patch["spec"];
  // Given fields are not repeated; only the workerGroupSpecs array must be carried whole.
  CHECK_FALSE(spec.contains("rayVersion"));
  CHECK_FALSE(spec.contains("enableInTreeAutoscaling"));
  CHECK_FALSE(spec.contains("headService"));
  CHECK(spec["suspend"] == false);
  CHECK(spec["headGroupSpec"]["serviceType"] == "ClusterIP");
  CHECK(spec["headGroupSpec"]["rayStartParams"] == json::object());
  CHECK(ray_container(spec["headGroupSpec"])["image"] == "rayproject/ray:2.6.0");

  REQUIRE(spec["workerGroupSpecs"].size() == 1);
  const json& group = spec["workerGroupSpecs"][0];
  CHECK(group["replicas"] == 2);
  CHECK(group["minReplicas"] == 1);
  CHECK(group["maxReplicas"] == 3);
  CHECK(group["numOfHosts"] == 1);
  CHECK(group["rayStartParams"]["num-gpus"] == "0");
  CHECK_FALSE(group.contains("scaleStrategy"));
  CHECK(ray_container(group)["name"] == "ray-worker");
}

TEST_CASE("defaults patch: applying it gives the defaulted object, and is idempotent") {
  json rc = stored_seed();
  json patched = applied(rc, defaults_patch(rc));
  json expected = with_defaults(rc);
  CHECK(patched == expected);
  CHECK(defaults_patch(patched) == json::object());
  CHECK(defaults_patch(expected) == json::object());
}

TEST_CASE("defaults patch: an object that has every default gives an empty patch") {
  json rc = with_defaults(stored_seed());
  CHECK(defaults_patch(rc) == json::object());
  // Not even a resourceVersion: an empty patch is not sent at all.
  CHECK_FALSE(defaults_patch(rc).contains("metadata"));
}

TEST_CASE("defaults patch: a group that lacks a field carries the whole list, values kept") {
  json rc = with_defaults(stored_seed());
  json second = {{"groupName", "big"}, {"replicas", 4}, {"maxReplicas", 8}};
  rc["spec"]["workerGroupSpecs"].push_back(second);
  rc["spec"]["workerGroupSpecs"][0]["replicas"] = 3;  // as the autoscaler wrote it
  rc["spec"]["workerGroupSpecs"][0]["scaleStrategy"] = {{"workersToDelete", {"pod-a"}}};

  json patch = defaults_patch(rc);
  REQUIRE(patch["spec"]["workerGroupSpecs"].size() == 2);
  const json& first = patch["spec"]["workerGroupSpecs"][0];
  CHECK(first == rc["spec"]["workerGroupSpecs"][0]);  // untouched, scaleStrategy included
  const json& added = patch["spec"]["workerGroupSpecs"][1];
  CHECK(added["replicas"] == 4);
  CHECK(added["minReplicas"] == 0);
  CHECK(added["maxReplicas"] == 8);
  CHECK(ray_container(added)["image"] == "rayproject/ray:2.6.0");
  CHECK_FALSE(added.contains("scaleStrategy"));
  CHECK(patch["metadata"]["resourceVersion"] == "4711");
  CHECK_FALSE(patch["spec"].contains("headGroupSpec"));
  CHECK(defaults_patch(applied(rc, patch)) == json::object());
}

TEST_CASE("defaults patch: a container list missing the Ray container's fields is carried whole") {
  json rc = with_defaults(stored_seed());
  json& containers = rc["spec"]["headGroupSpec"]["template"]["spec"]["containers"];
  containers = {{{"image", "my/ray:1"}}, {{"name", "log"}, {"image", "fluent-bit"}}};

  json patch = defaults_patch(rc);
  json patched_containers = patch["spec"]["headGroupSpec"]["template"]["spec"]["containers"];
  REQUIRE(patched_containers.size() == 2);
  CHECK(patched_containers[0]["name"] == "ray-head");
  CHECK(patched_containers[0]["image"] == "my/ray:1");
  CHECK(patched_containers[1] == json({{"name", "log"}, {"image", "fluent-bit"}}));
  CHECK_FALSE(patch["spec"].contains("workerGroupSpecs"));
  CHECK(defaults_patch(applied(rc, patch)) == json::object());
}

TEST_CASE("defaults patch: a cluster without a rayVersion gets no empty rayVersion written") {
  json rc = {{"metadata", {{"name", "c"}, {"resourceVersion", "1"}}}};
  json patch = defaults_patch(rc);
  CHECK_FALSE(patch["spec"].contains("rayVersion"));
  CHECK(ray_container(patch["spec"]["headGroupSpec"])["image"] == "rayproject/ray:latest");
  CHECK(patch["spec"]["workerGroupSpecs"] == json::array());
  json patched = applied(rc, patch);
  CHECK(defaults_patch(patched) == json::object());
  CHECK(with_defaults(patched)["spec"]["rayVersion"] == "");
}

TEST_CASE("defaults patch: the namespace and status are never written") {
  json rc = stored_seed();
  rc["metadata"].erase("namespace");
  rc["status"] = {{"state", "ready"}};
  json patch = defaults_patch(rc);
  CHECK(patch["metadata"] == json({{"resourceVersion", "4711"}}));
  CHECK_FALSE(patch.contains("status"));
}

TEST_CASE("defaults: the defaulted seed and full example pass validation") {
  for (const char* path : {"examples/raycluster-seed.yaml", "examples/raycluster-v1-full.yaml"}) {
    INFO(path);
    CHECK(ray::validate(with_defaults(load_manifest(path))).empty());
  }
}
