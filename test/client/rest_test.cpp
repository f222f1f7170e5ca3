// REST calls: paths, bodies, content types, pagination, discovery, and typed errors.

#include <catch2/catch.hpp>
#include <future>

#include "test/client/client_fixture.hpp"

using namespace client_fixture;
using nlohmann::json;
using test_support::http_request;
using test_support::response_writer;

namespace {
const k8s::resource rayclusters{"ray.io", "v1", "rayclusters", "RayCluster", true};

json pod(const std::string& name) {
  return {{"metadata", {{"name", name}, {"namespace", "ns"}, {"resourceVersion", "7"}}}};
}
}  // namespace

TEST_CASE("client REST: Kubernetes Status errors become typed errors") {
  struct row {
    int code;
    const char* reason;
    k8s::error_kind kind;
  };
  const std::vector<row> rows = {
      {404, "NotFound", k8s::error_kind::not_found},
      {409, "AlreadyExists", k8s::error_kind::already_exists},
      {409, "Conflict", k8s::error_kind::conflict},
      {410, "Expired", k8s::error_kind::gone},
      {422, "Invalid", k8s::error_kind::invalid},
      {403, "Forbidden", k8s::error_kind::forbidden},
      {401, "Unauthorized", k8s::error_kind::unauthorized},
  };
  for (const auto& r : rows) {
    test_support::scripted_server server([&](const http_request&, response_writer& w) {
      w.send(r.code, status_body(r.code, r.reason, std::string("the server says ") + r.reason));
    });
    k8s::client api(config_for(server), quick_options());
    auto res = await_json([&](auto cb) { api.get(k8s::resources::pods, "ns", "p", cb); });
    REQUIRE_FALSE(res.ok());
    INFO(r.code << " " << r.reason);
    CHECK(res.error().kind() == r.kind);
    CHECK(res.error().http_code() == r.code);
    CHECK(res.error().reason() == r.reason);
    CHECK(res.error().message() == std::string("the server says ") + r.reason);
    CHECK(server.request_count() == 1);  // none of these is retried
  }
}

TEST_CASE("client REST: create posts JSON and returns the stored object") {
  test_support::scripted_server server([](const http_request& req, response_writer& w) {
    auto body = json::parse(req.body);
    body["metadata"]["uid"] = "u-1";
    w.send(201, body.dump());
  });
  k8s::client api(config_for(server));
  auto r = await_json([&](auto cb) { api.create(k8s::resources::pods, "ns", pod("a"), cb); });
  REQUIRE(r.ok());
  CHECK(r.value()["metadata"]["uid"] == "u-1");
  const auto req = server.requests().front();
  CHECK(req.method == "POST");
  CHECK(req.path == "/api/v1/namespaces/ns/pods");
  CHECK(req.header("content-type").rfind("application/json", 0) == 0);
}

TEST_CASE("client REST: patches carry their content type, status goes to the subresource") {
  test_support::scripted_server server(
      [](const http_request&, response_writer& w) { w.send(200, R"({"kind":"RayCluster"})"); });
  k8s::client api(config_for(server));
  REQUIRE(
      await_json([&](auto cb) {
        api.patch(rayclusters, "ns", "c", k8s::patch_type::merge, json{{"spec", {{"x", 1}}}}, cb);
      }).ok());
  REQUIRE(await_json([&](auto cb) {
            api.patch(rayclusters, "ns", "c", k8s::patch_type::json,
                      json::array({{{"op", "replace"}, {"path", "/spec/x"}, {"value", 2}}}), cb);
          }).ok());
  REQUIRE(await_json([&](auto cb) {
            api.patch(rayclusters, "ns", "c", k8s::patch_type::merge,
                      json{{"status", {{"state", "ready"}}}}, cb, "status");
          }).ok());
  const auto reqs = server.requests();
  REQUIRE(reqs.size() == 3);
  CHECK(reqs[0].method == "PATCH");
  CHECK(reqs[0].header("content-type").rfind("application/merge-patch+json", 0) == 0);
  CHECK(reqs[1].header("content-type").rfind("application/json-patch+json", 0) == 0);
  CHECK(json::parse(reqs[1].body)[0]["path"] == "/spec/x");
  CHECK(reqs[2].path == "/apis/ray.io/v1/namespaces/ns/rayclusters/c/status");
}

TEST_CASE("client REST: delete sends uid preconditions and the propagation policy") {
  test_support::scripted_server server(
      [](const http_request&, response_writer& w) { w.send(200, R"({"kind":"Status"})"); });
  k8s::client api(config_for(server));
  k8s::delete_options o;
  o.precondition_uid = "uid-9";
  o.propagation_policy = "Background";
  o.grace_period_seconds = 0;
  REQUIRE(await_json([&](auto cb) { api.remove(k8s::resources::pods, "ns", "p", o, cb); }).ok());
  const auto req = server.requests().front();
  CHECK(req.method == "DELETE");
  const auto body = json::parse(req.body);
  CHECK(body["kind"] == "DeleteOptions");
  CHECK(body["preconditions"]["uid"] == "uid-9");
  CHECK(body["propagationPolicy"] == "Background");
  CHECK(body["gracePeriodSeconds"] == 0);
}

TEST_CASE("client REST: list_all follows continue tokens across pages") {
  // Five pods served two per page; the continue token is the index of the next item.
  test_support::scripted_server server([](const http_request& req, response_writer& w) {
    const int limit = std::stoi(req.query.at("limit"));
    const int from = req.query.count("continue") ? std::stoi(req.query.at("continue")) : 0;
    json list{{"kind", "PodList"}, {"items", json::array()}, {"metadata", json::object()}};
    for (int i = from; i < std::min(from + limit, 5); ++i)
      list["items"].push_back(pod("p" + std::to_string(i)));
    list["metadata"]["resourceVersion"] = "100";
    if (from + limit < 5) list["metadata"]["continue"] = std::to_string(from + limit);
    w.send(200, list.dump());
  });
  k8s::client api(config_for(server));
  k8s::list_options o;
  o.limit = 2;
  o.label_selector = "ray.io/cluster=c,ray.io/node-type in (head,worker)";
  auto r = await_json([&](auto cb) { api.list_all(k8s::resources::pods, "ns", o, cb); });
  REQUIRE(r.ok());
  REQUIRE(r.value()["items"].size() == 5);
  CHECK(r.value()["items"][4]["metadata"]["name"] == "p4");
  CHECK(r.value()["metadata"]["resourceVersion"] == "100");
  const auto reqs = server.requests();
  REQUIRE(reqs.size() == 3);
  CHECK(reqs[0].query.count("continue") == 0);
  CHECK(reqs[1].query.at("continue") == "2");
  CHECK(reqs[2].query.at("continue") == "4");
  CHECK(reqs[0].query.at("labelSelector") == "ray.io/cluster=c,ray.io/node-type in (head,worker)");
}

TEST_CASE("client REST: discovery lists the group versions the server serves") {
  test_support::scripted_server server([](const http_request& req, response_writer& w) {
    if (req.path == "/api") return w.send(200, R"({"kind":"APIVersions","versions":["v1"]})");
    w.send(200, R"({"kind":"APIGroupList","groups":[
      {"name":"apps","versions":[{"groupVersion":"apps/v1","version":"v1"}]},
      {"name":"ray.io","versions":[{"groupVersion":"ray.io/v1","version":"v1"},
                                   {"groupVersion":"ray.io/v1alpha1","version":"v1alpha1"}]}]})");
  });
  k8s::client api(config_for(server));
  auto r = await<std::set<std::string>>([&](auto cb) { api.server_group_versions(cb); });
  REQUIRE(r.ok());
  CHECK(r.value() == std::set<std::string>{"v1", "apps/v1", "ray.io/v1", "ray.io/v1alpha1"});
  CHECK(r.value().count("policy/v1") == 0);
}

TEST_CASE("client REST: a body that is not JSON is a decode error") {
  test_support::scripted_server server(
      [](const http_request&, response_writer& w) { w.send(200, "<html>proxy</html>"); });
  k8s::client api(config_for(server));
  auto r = await_json([&](auto cb) { api.get(k8s::resources::pods, "ns", "p", cb); });
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().kind() == k8s::error_kind::decode);
}

TEST_CASE(
    "client REST: a read answered with nothing, or with JSON that is no object, is a decode "
    "error") {
  for (const char* body : {"", "[]", "null", "42"}) {
    test_support::scripted_server server(
        [body](const http_request&, response_writer& w) { w.send(200, body); });
    k8s::client api(config_for(server));
    auto r = await_json([&](auto cb) { api.get(k8s::resources::pods, "ns", "p", cb); });
    INFO("body: " << body);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().kind() == k8s::error_kind::decode);
    // Discovery indexes into its answers: an empty one is an error, not a crash.
    std::promise<k8s::result<std::set<std::string>>> versions;
    api.server_group_versions([&](auto v) { versions.set_value(std::move(v)); });
    CHECK_FALSE(versions.get_future().get().ok());
  }
}
