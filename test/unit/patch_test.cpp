#include "k8s/patch.hpp"

#include <catch2/catch.hpp>

using namespace k8s;
using nlohmann::json;

namespace {

// RFC 7386 application, as the API server does it.
json applied(json target, const json& patch) {
  target.merge_patch(patch);
  return target;
}

}  // namespace

TEST_CASE("merge patch diff: equal objects give an empty patch") {
  json obj = json::parse(R"({"a": 1, "b": {"c": [1, 2]}})");
  CHECK(merge_patch_diff(obj, obj) == json::object());
  CHECK(merge_patch_diff(json::object(), json::object()) == json::object());
}

TEST_CASE("merge patch diff: added, changed and removed keys") {
  json from = json::parse(R"({"keep": 1, "change": 1, "drop": 1})");
  json to = json::parse(R"({"keep": 1, "change": 2, "add": 3})");
  CHECK(merge_patch_diff(from, to) == json::parse(R"({"change": 2, "add": 3, "drop": null})"));
}

TEST_CASE("merge patch diff: nested objects are diffed key by key") {
  json from = json::parse(R"({"metadata": {"labels": {"a": "1", "b": "2"}, "name": "x"}})");
  json to = json::parse(R"({"metadata": {"labels": {"a": "1", "b": "3"}, "name": "x"}})");
  CHECK(merge_patch_diff(from, to) == json::parse(R"({"metadata": {"labels": {"b": "3"}}})"));
}

TEST_CASE("merge patch diff: arrays are replaced whole") {
  json from = json::parse(R"({"spec": {"containers": [{"name": "a", "image": "x:1"}]}})");
  json to = json::parse(R"({"spec": {"containers": [{"name": "a", "image": "x:2"}]}})");
  CHECK(merge_patch_diff(from, to) == json::parse(R"({"spec": {"containers": [
      {"name": "a", "image": "x:2"}]}})"));
}

TEST_CASE("merge patch diff: a type change replaces the value") {
  CHECK(merge_patch_diff(json{{"a", 1}}, json{{"a", {{"b", 1}}}}) ==
        json::parse(R"({"a": {"b": 1}})"));
  CHECK(merge_patch_diff(json{{"a", {{"b", 1}}}}, json{{"a", "s"}}) == json{{"a", "s"}});
  CHECK(merge_patch_diff(json{{"a", 1}}, json{{"a", json::object()}}) ==
        json{{"a", json::object()}});
}

TEST_CASE("merge patch diff: null values in the target count as absent") {
  CHECK(merge_patch_diff(json{{"a", 1}}, json{{"a", nullptr}}) == json{{"a", nullptr}});
  CHECK(merge_patch_diff(json::object(), json{{"a", nullptr}}) == json::object());
  CHECK(merge_patch_diff(json{{"a", nullptr}}, json{{"a", nullptr}}) == json::object());
  CHECK(merge_patch_diff(json{{"a", json::object()}}, json{{"a", {{"b", nullptr}}}}) ==
        json::object());
}

TEST_CASE("merge patch diff: non-object documents are replaced") {
  CHECK(merge_patch_diff(json::array({1}), json::array({2})) == json::array({2}));
  CHECK(merge_patch_diff(json{{"a", 1}}, json("x")) == json("x"));
}

TEST_CASE("merge patch diff: applying the patch reproduces the target") {
  json from = json::parse(R"({"metadata": {"name": "x", "labels": {"a": "1"},
      "annotations": {"gone": "y"}}, "spec": {"replicas": 1, "list": [1, 2], "obj": {"k": 1}},
      "status": {"phase": "Pending"}})");
  json to = json::parse(R"({"metadata": {"name": "x", "labels": {"a": "1", "b": "2"},
      "annotations": {}}, "spec": {"replicas": 3, "list": [2], "obj": 5, "new": {"n": [0]}}})");
  json patch = merge_patch_diff(from, to);
  CHECK(applied(from, patch) == to);
  CHECK_FALSE(patch["metadata"].contains("name"));
}

TEST_CASE("merge patch absent: adds only missing fields") {
  json current = json::parse(R"({"spec": {"replicas": 2, "template": {"a": 1}}})");
  json defaults = json::parse(R"({"spec": {"replicas": 1, "paused": false,
      "template": {"a": 9, "b": 2}}, "metadata": {"labels": {"x": "y"}}})");
  json patch = merge_patch_absent(current, defaults);
  CHECK(patch == json::parse(R"({"spec": {"paused": false, "template": {"b": 2}},
                                  "metadata": {"labels": {"x": "y"}}})"));
  json result = applied(current, patch);
  CHECK(result["spec"]["replicas"] == 2);
  CHECK(result["spec"]["template"]["a"] == 1);
}

TEST_CASE("merge patch absent: nothing missing gives an empty patch") {
  json current = json::parse(R"({"a": 1, "b": {"c": 2}})");
  CHECK(merge_patch_absent(current, json::parse(R"({"a": 5, "b": {"c": 3}})")) == json::object());
  CHECK(merge_patch_absent(current, json::object()) == json::object());
}

TEST_CASE("merge patch absent: existing values are never changed, even of another type") {
  json current = json::parse(R"({"a": "text", "b": {"c": 1}, "d": 0, "e": false})");
  json defaults = json::parse(R"({"a": {"x": 1}, "b": 7, "d": 5, "e": true})");
  CHECK(merge_patch_absent(current, defaults) == json::object());
}

TEST_CASE("merge patch absent: null in current counts as absent, null defaults are ignored") {
  CHECK(merge_patch_absent(json{{"a", nullptr}}, json{{"a", 1}}) == json{{"a", 1}});
  CHECK(merge_patch_absent(json{{"a", 1}}, json{{"b", nullptr}}) == json::object());
}

TEST_CASE("merge patch absent: arrays are never entered") {
  json current = json::parse(R"({"containers": [{"name": "ray"}]})");
  json defaults = json::parse(R"({"containers": [{"name": "ray", "image": "ray:2"}],
                                  "volumes": [{"name": "shm"}]})");
  // An existing array stays as it is; a missing one is added whole.
  CHECK(merge_patch_absent(current, defaults) == json::parse(R"({"volumes": [{"name": "shm"}]})"));
}

TEST_CASE("merge patch absent: non-object documents give an empty patch") {
  CHECK(merge_patch_absent(json::array(), json{{"a", 1}}) == json::object());
  CHECK(merge_patch_absent(json{{"a", 1}}, json::array({1})) == json::object());
}

TEST_CASE("json pointer: tokens are escaped") {
  CHECK(json_pointer_escape("ray.io/x") == "ray.io~1x");
  CHECK(json_pointer_escape("a~b") == "a~0b");
  CHECK(json_pointer_escape("~/") == "~0~1");
  CHECK(json_pointer_escape("plain") == "plain");
  CHECK(json_pointer({"metadata", "annotations", "ray.io/x"}) == "/metadata/annotations/ray.io~1x");
  CHECK(json_pointer({}).empty());
}

TEST_CASE("json patch: operations are listed in order") {
  json_patch p;
  CHECK(p.empty());
  CHECK(p.to_json() == json::array());
  p.test("/metadata/resourceVersion", "42")
      .add(json_pointer({"metadata", "annotations", "ray.io/x"}), "1")
      .replace("/spec/replicas", 3)
      .remove("/metadata/labels/old");
  CHECK_FALSE(p.empty());
  CHECK(p.to_json() == json::parse(R"([
      {"op": "test", "path": "/metadata/resourceVersion", "value": "42"},
      {"op": "add", "path": "/metadata/annotations/ray.io~1x", "value": "1"},
      {"op": "replace", "path": "/spec/replicas", "value": 3},
      {"op": "remove", "path": "/metadata/labels/old"}])"));
}

TEST_CASE("json patch: the built patch applies as RFC 6902 says") {
  json doc = json::parse(R"({"metadata": {"annotations": {}, "labels": {"old": "1"}}})");
  json_patch p;
  p.add(json_pointer({"metadata", "annotations", "ray.io/x"}), "1")
      .remove("/metadata/labels/old")
      .add("/spec", json{{"replicas", nullptr}});
  json result = doc.patch(p.to_json());
  CHECK(result == json::parse(R"({"metadata": {"annotations": {"ray.io/x": "1"}, "labels": {}},
                                  "spec": {"replicas": null}})"));
}
