#include "k8s/object_meta.hpp"
#include "k8s/object_template.hpp"

#include <catch2/catch.hpp>

using namespace k8s;
using nlohmann::json;

namespace {

const json pod = json::parse(R"({
  "apiVersion": "v1", "kind": "Pod",
  "metadata": {
    "name": "demo-head", "namespace": "ray", "uid": "u-pod", "resourceVersion": "42",
    "generation": 3, "creationTimestamp": "2024-05-01T10:00:00Z",
    "labels": {"ray.io/node-type": "head", "weird": 7},
    "annotations": {"ray.io/ft": "true"},
    "ownerReferences": [
      {"apiVersion": "v1", "kind": "ConfigMap", "name": "cfg", "uid": "u-cfg"},
      {"apiVersion": "ray.io/v1", "kind": "RayCluster", "name": "demo", "uid": "u-rc",
       "controller": true, "blockOwnerDeletion": true},
      {"kind": "Broken"}
    ]}})");

const json cluster = json::parse(R"({
  "apiVersion": "ray.io/v1", "kind": "RayCluster",
  "metadata": {"name": "demo", "namespace": "ray", "uid": "u-rc"}})");

}  // namespace

TEST_CASE("object meta: scalar accessors read metadata") {
  CHECK(name(pod) == "demo-head");
  CHECK(namespace_of(pod) == "ray");
  CHECK(uid(pod) == "u-pod");
  CHECK(resource_version(pod) == "42");
  CHECK(generation(pod) == 3);
  CHECK(creation_timestamp(pod) == "2024-05-01T10:00:00Z");
}

TEST_CASE("object meta: accessors return empty values for missing or mistyped fields") {
  auto obj = GENERATE(json(nullptr), json::array(), json("pod"), json::object(),
                      json{{"metadata", nullptr}}, json{{"metadata", "x"}},
                      json::parse(R"({"metadata": {"name": 1, "uid": [], "generation": "3",
                        "labels": ["a"], "annotations": 5, "ownerReferences": {},
                        "deletionTimestamp": null}})"));
  CAPTURE(obj.dump());
  CHECK(name(obj).empty());
  CHECK(namespace_of(obj).empty());
  CHECK(uid(obj).empty());
  CHECK(resource_version(obj).empty());
  CHECK(creation_timestamp(obj).empty());
  CHECK(generation(obj) == 0);
  CHECK(labels(obj).empty());
  CHECK(annotations(obj).empty());
  CHECK_FALSE(label(obj, "a").has_value());
  CHECK_FALSE(annotation(obj, "a").has_value());
  CHECK_FALSE(is_being_deleted(obj));
  CHECK(owner_references(obj).empty());
  CHECK_FALSE(controller_of(obj).has_value());
}

TEST_CASE("object meta: generation beyond int64 reads as 0") {
  CHECK(generation(json{{"metadata", {{"generation", 18446744073709551615ULL}}}}) == 0);
  CHECK(generation(json{{"metadata", {{"generation", 1.5}}}}) == 0);
}

TEST_CASE("object meta: labels and annotations skip non-string values") {
  auto l = labels(pod);
  CHECK(l == std::map<std::string, std::string>{{"ray.io/node-type", "head"}});
  CHECK(label(pod, "ray.io/node-type") == "head");
  CHECK_FALSE(label(pod, "weird").has_value());
  CHECK_FALSE(label(pod, "absent").has_value());
  CHECK(annotations(pod).at("ray.io/ft") == "true");
  CHECK(annotation(pod, "ray.io/ft") == "true");
}

TEST_CASE("object meta: deletionTimestamp marks an object being deleted") {
  json obj = pod;
  CHECK_FALSE(is_being_deleted(obj));
  obj["metadata"]["deletionTimestamp"] = "2024-05-01T11:00:00Z";
  CHECK(is_being_deleted(obj));
}

TEST_CASE("object meta: owner references skip malformed entries and find the controller") {
  auto refs = owner_references(pod);
  REQUIRE(refs.size() == 2);
  CHECK(refs[0].kind == "ConfigMap");
  CHECK_FALSE(refs[0].controller);
  auto ctrl = controller_of(pod);
  REQUIRE(ctrl.has_value());
  CHECK(ctrl->name == "demo");
  CHECK(ctrl->block_owner_deletion);
  CHECK(is_controlled_by(pod, "u-rc"));
  CHECK_FALSE(is_controlled_by(pod, "u-cfg"));  // an owner, but not the controller
  CHECK_FALSE(is_controlled_by(pod, ""));
}

TEST_CASE("object meta: owner_reference JSON round trip") {
  owner_reference ref{"ray.io/v1", "RayCluster", "demo", "u-rc", true, false};
  json j = ref.to_json();
  CHECK(j == json::parse(R"({"apiVersion": "ray.io/v1", "kind": "RayCluster", "name": "demo",
                            "uid": "u-rc", "controller": true, "blockOwnerDeletion": false})"));
  CHECK(owner_reference::from_json(j) == ref);
  j.erase("uid");
  CHECK_FALSE(owner_reference::from_json(j).has_value());
  CHECK_FALSE(owner_reference::from_json(json::array()).has_value());
}

TEST_CASE("object meta: make_controller_reference points at the owner") {
  auto ref = make_controller_reference(cluster);
  CHECK(ref == owner_reference{"ray.io/v1", "RayCluster", "demo", "u-rc", true, true});
}

TEST_CASE("object meta: set_controller_reference adds a controller to a bare object") {
  json obj = json::object();
  REQUIRE(set_controller_reference(obj, make_controller_reference(cluster)));
  REQUIRE(obj["metadata"]["ownerReferences"].size() == 1);
  CHECK(is_controlled_by(obj, "u-rc"));
}

TEST_CASE("object meta: set_controller_reference keeps other owners and replaces its own") {
  json obj = pod;
  auto ref = make_controller_reference(cluster);
  ref.name = "demo-renamed";
  REQUIRE(set_controller_reference(obj, ref));
  const auto& list = obj["metadata"]["ownerReferences"];
  REQUIRE(list.size() == 3);  // the malformed entry is left alone
  CHECK(list[0]["kind"] == "ConfigMap");
  CHECK(list[1]["name"] == "demo-renamed");
  CHECK(list[2] == json{{"kind", "Broken"}});
}

TEST_CASE("object meta: set_controller_reference promotes a plain owner with the same uid") {
  json obj = json::parse(R"({"metadata": {"ownerReferences": [
      {"apiVersion": "ray.io/v1", "kind": "RayCluster", "name": "demo", "uid": "u-rc"}]}})");
  owner_reference ref = make_controller_reference(cluster);
  ref.controller = false;  // forced on: this sets the controller
  REQUIRE(set_controller_reference(obj, ref));
  REQUIRE(obj["metadata"]["ownerReferences"].size() == 1);
  CHECK(obj["metadata"]["ownerReferences"][0]["controller"] == true);
}

TEST_CASE("object meta: set_controller_reference refuses a second controller") {
  json obj = pod;
  owner_reference other{"apps/v1", "Deployment", "x", "u-other", true, true};
  CHECK_FALSE(set_controller_reference(obj, other));
  CHECK(obj == pod);
}

TEST_CASE("object meta: set_controller_reference refuses incomplete refs and bad objects") {
  json obj = json::object();
  CHECK_FALSE(set_controller_reference(obj, make_controller_reference(json::object())));
  json bad_meta = {{"metadata", "x"}};
  CHECK_FALSE(set_controller_reference(bad_meta, make_controller_reference(cluster)));
  json bad_refs = {{"metadata", {{"ownerReferences", "x"}}}};
  CHECK_FALSE(set_controller_reference(bad_refs, make_controller_reference(cluster)));
  json not_object = json::array();
  CHECK_FALSE(set_controller_reference(not_object, make_controller_reference(cluster)));
  CHECK(obj == json::object());
}

TEST_CASE("object template: each name is spliced into the same text, generateName kept aside") {
  const nlohmann::json pod = {{"apiVersion", "v1"},
                              {"kind", "Pod"},
                              {"metadata",
                               {{"generateName", "c-w-worker-"},
                                {"labels", {{"ray.io/cluster", "c"}}},
                                {"annotations", {{"note", "\"quoted\" \\ and \u00e9"}}}}},
                              {"spec", {{"containers", {{{"name", "ray-worker"}}}}}}};
  k8s::object_template t(pod);
  CHECK(t.generate_name() == "c-w-worker-");
  nlohmann::json made = nlohmann::json::parse(t.named("c-w-worker-abcde"));
  nlohmann::json want = pod;
  want["metadata"].erase("generateName");
  want["metadata"]["name"] = "c-w-worker-abcde";
  CHECK(made == want);
  CHECK(nlohmann::json::parse(t.named("other"))["metadata"]["name"] == "other");
}

TEST_CASE("object template: equal objects have equal digests, different ones differ") {
  nlohmann::json a = {
      {"kind", "Pod"}, {"metadata", {{"generateName", "x-"}}}, {"spec", {{"n", 1}}}};
  nlohmann::json b = a;
  b["spec"]["n"] = 2;
  CHECK(k8s::object_template(a).digest() == k8s::object_template(a).digest());
  CHECK(k8s::object_template(a).digest() != k8s::object_template(b).digest());
  // An object without metadata gets some, with the name.
  CHECK(nlohmann::json::parse(
            k8s::object_template(json{{"kind", "Pod"}}).named("p"))["metadata"]["name"] == "p");
}
