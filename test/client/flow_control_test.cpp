// Flow control: retries with backoff, Retry-After, generated-name creates, the rate limiter.

#include <atomic>
#include <catch2/catch.hpp>
#include <future>

#include "test/client/client_fixture.hpp"

using namespace client_fixture;
using namespace std::chrono_literals;
using nlohmann::json;
using test_support::http_request;
using test_support::response_writer;

namespace {
double seconds_between(const http_request& a, const http_request& b) {
  return std::chrono::duration<double>(b.received_at - a.received_at).count();
}
}  // namespace

TEST_CASE("client flow control: a 429 with Retry-After: 1 is retried after about a second") {
  std::atomic<int> calls{0};
  test_support::scripted_server server([&](const http_request&, response_writer& w) {
    if (calls++ == 0)
      return w.send(429, status_body(429, "TooManyRequests", "slow down"), {{"Retry-After", "1"}});
    w.send(200, R"({"kind":"Pod"})");
  });
  k8s::client api(config_for(server), quick_options());
  auto r = await_json([&](auto cb) { api.get(k8s::resources::pods, "ns", "p", cb); });
  REQUIRE(r.ok());
  const auto reqs = server.requests();
  REQUIRE(reqs.size() == 2);
  const double gap = seconds_between(reqs[0], reqs[1]);
  CHECK(gap >= 0.95);
  CHECK(gap < 2.0);
}

TEST_CASE("client flow control: a 429 is retried even for a generated-name create") {
  std::atomic<int> calls{0};
  test_support::scripted_server server([&](const http_request& req, response_writer& w) {
    if (calls++ == 0) return w.send(429, status_body(429, "TooManyRequests", "slow down"));
    w.send(201, req.body);
  });
  k8s::client api(config_for(server), quick_options());
  json p{{"metadata", {{"generateName", "w-"}}}};
  auto r = await_json([&](auto cb) { api.create(k8s::resources::pods, "ns", p, cb); });
  CHECK(r.ok());
  CHECK(server.request_count() == 2);
}

TEST_CASE("client flow control: a 500 is retried with backoff, then surfaced") {
  test_support::scripted_server server([](const http_request&, response_writer& w) {
    w.send(500, status_body(500, "InternalError", "etcd is unhappy"));
  });
  auto options = quick_options();
  options.max_retries = 3;
  k8s::client api(config_for(server), options);
  auto r = await_json([&](auto cb) { api.get(k8s::resources::pods, "ns", "p", cb); });
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().kind() == k8s::error_kind::server_error);
  CHECK(r.error().message() == "etcd is unhappy");
  const auto reqs = server.requests();
  REQUIRE(reqs.size() == 4);  // the first try and three retries
  // Backoff: 20 ms, 40 ms, 80 ms (no jitter in these options) — each gap at least its delay.
  CHECK(seconds_between(reqs[0], reqs[1]) >= 0.019);
  CHECK(seconds_between(reqs[1], reqs[2]) >= 0.039);
  CHECK(seconds_between(reqs[2], reqs[3]) >= 0.079);
}

TEST_CASE("client flow control: a 500 then success returns the success") {
  std::atomic<int> calls{0};
  test_support::scripted_server server([&](const http_request&, response_writer& w) {
    if (calls++ < 2) return w.send(503, status_body(503, "ServiceUnavailable", "starting"));
    w.send(200, R"({"kind":"Pod"})");
  });
  k8s::client api(config_for(server), quick_options());
  auto r = await_json([&](auto cb) { api.get(k8s::resources::pods, "ns", "p", cb); });
  CHECK(r.ok());
  CHECK(server.request_count() == 3);
}

TEST_CASE("client flow control: a dropped connection is retried for an idempotent request") {
  std::atomic<int> calls{0};
  test_support::scripted_server server([&](const http_request&, response_writer& w) {
    if (calls++ == 0) return w.close_abruptly();
    w.send(200, R"({"kind":"Pod"})");
  });
  k8s::client api(config_for(server), quick_options());
  auto r = await_json([&](auto cb) { api.get(k8s::resources::pods, "ns", "p", cb); });
  CHECK(r.ok());
  CHECK(server.request_count() == 2);
}

TEST_CASE(
    "client flow control: a generated-name create is not repeated after an ambiguous failure") {
  SECTION("a 500") {
    test_support::scripted_server server([](const http_request&, response_writer& w) {
      w.send(500, status_body(500, "InternalError", "maybe created"));
    });
    k8s::client api(config_for(server), quick_options());
    json p{{"metadata", {{"generateName", "w-"}}}};
    auto r = await_json([&](auto cb) { api.create(k8s::resources::pods, "ns", p, cb); });
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().kind() == k8s::error_kind::server_error);
    CHECK(server.request_count() == 1);
  }
  SECTION("a connection cut before the response") {
    test_support::scripted_server server(
        [](const http_request&, response_writer& w) { w.close_abruptly(); });
    k8s::client api(config_for(server), quick_options());
    json p{{"metadata", {{"generateName", "w-"}}}};
    auto r = await_json([&](auto cb) { api.create(k8s::resources::pods, "ns", p, cb); });
    REQUIRE_FALSE(r.ok());
    CHECK(server.request_count() == 1);
  }
}

TEST_CASE("client flow control: a generated-name collision is retried") {
  // Kubernetes 1.20 reports a generateName collision as 500 ServerTimeout; nothing was created.
  std::atomic<int> calls{0};
  test_support::scripted_server server([&](const http_request& req, response_writer& w) {
    if (calls++ == 0) return w.send(500, status_body(500, "ServerTimeout", "name collision"));
    w.send(201, req.body);
  });
  k8s::client api(config_for(server), quick_options());
  json p{{"metadata", {{"generateName", "w-"}}}};
  auto r = await_json([&](auto cb) { api.create(k8s::resources::pods, "ns", p, cb); });
  CHECK(r.ok());
  CHECK(server.request_count() == 2);
}

TEST_CASE("client flow control: the rate limiter holds the configured QPS") {
  test_support::scripted_server server(
      [](const http_request&, response_writer& w) { w.send(200, R"({"kind":"Pod"})"); });
  auto options = quick_options();
  options.qps = 20;
  options.burst = 1;
  std::atomic<int> done{0};  // declared before the client, which outlives its callbacks
  k8s::client api(config_for(server), options);
  constexpr int n = 21;
  for (int i = 0; i < n; ++i)
    api.get(k8s::resources::pods, "ns", "p", [&](k8s::result<json> r) {
      if (r.ok()) ++done;
    });
  const bool all_arrived = server.wait_for_requests(n, 10s);
  INFO("requests received: " << server.request_count()
                             << ", connections: " << server.connection_count());
  REQUIRE(all_arrived);
  const auto reqs = server.requests();
  // 21 requests at 20/s with a burst of 1 take 20 intervals of 50 ms: one second at least.
  const double span = seconds_between(reqs.front(), reqs.back());
  CHECK(span >= 0.95);
  CHECK(span < 2.5);
  // And no two requests closer than the network's jitter allows below one interval.
  int too_close = 0;
  for (size_t i = 1; i < reqs.size(); ++i)
    if (seconds_between(reqs[i - 1], reqs[i]) < 0.025) ++too_close;
  CHECK(too_close <= 2);
}

namespace {
// Where, in the order the server received them, the request for `name` came.
size_t position_of(const std::vector<http_request>& reqs, const std::string& name) {
  for (size_t i = 0; i < reqs.size(); ++i)
    if (reqs[i].path == "/api/v1/namespaces/ns/pods/" + name) return i;
  return reqs.size();
}

constexpr int queued = 6;  // flow a's requests, a0 ... a5

// Gets a0 ... a5 in flow "ns/a", then b in flow "ns/b", all at once.
void get_a_then_b(k8s::client& api) {
  const auto ignore = [](k8s::result<json>) {};
  for (int i = 0; i < queued; ++i)
    api.get(k8s::resources::pods, "ns", "a" + std::to_string(i), ignore, {}, "ns/a");
  api.get(k8s::resources::pods, "ns", "b", ignore, {}, "ns/b");
}

// Flow a's requests reached the server in the order they were made.
void check_a_in_order(const std::vector<http_request>& reqs) {
  for (int i = 1; i < queued; ++i)
    CHECK(position_of(reqs, "a" + std::to_string(i - 1)) <
          position_of(reqs, "a" + std::to_string(i)));
}
}  // namespace

TEST_CASE(
    "client flow control: a flow's one request waiting for the limiter goes ahead of "
    "another flow's queue") {
  test_support::scripted_server server(
      [](const http_request&, response_writer& w) { w.send(200, R"({"kind":"Pod"})"); });
  auto options = quick_options();
  options.qps = 5;
  options.burst = 1;
  k8s::client api(config_for(server), options);
  get_a_then_b(api);
  REQUIRE(server.wait_for_requests(queued + 1, 10s));
  const auto reqs = server.requests();
  // a0 took the one token; a1 was first in line for the next, then it was b's turn (a2, had
  // the calls above been slow enough for a1 to go before b queued). Without turns, b would
  // have been last.
  CHECK(position_of(reqs, "b") <= 3);
  check_a_in_order(reqs);
}

TEST_CASE(
    "client flow control: a flow's one request waiting for a slot goes ahead of another "
    "flow's queue") {
  // The server answers nothing until every call has been made, so all but the first wait.
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  test_support::scripted_server server([released](const http_request&, response_writer& w) {
    released.wait_for(10s);
    w.send(200, R"({"kind":"Pod"})");
  });
  auto options = quick_options();
  options.qps = 0;
  options.max_in_flight = 1;
  k8s::client api(config_for(server), options);
  get_a_then_b(api);
  release.set_value();
  REQUIRE(server.wait_for_requests(queued + 1, 10s));
  const auto reqs = server.requests();
  CHECK(position_of(reqs, "a0") == 0);  // in flight before the others were made
  CHECK(position_of(reqs, "a1") == 1);  // first in line
  CHECK(position_of(reqs, "b") == 2);   // then b's turn, before a2 ... a5
  check_a_in_order(reqs);
}

TEST_CASE("client flow control: two clients given one limiter spend one budget") {
  test_support::scripted_server server(
      [](const http_request&, response_writer& w) { w.send(200, R"({"kind":"Pod"})"); });
  auto options = quick_options();
  options.qps = 1;
  options.burst = 1;
  k8s::client a(config_for(server), options);
  auto shared = options;
  shared.limiter = a.shared_limiter();
  k8s::client b(config_for(server), shared);
  REQUIRE(await_json([&](auto cb) { a.get(k8s::resources::pods, "ns", "a", cb); }).ok());
  // The one token is spent: b's request waits for the next, a second later. With a limiter of
  // its own, b would have had a full bucket and gone at once.
  REQUIRE(await_json([&](auto cb) { b.get(k8s::resources::pods, "ns", "b", cb); }).ok());
  const auto reqs = server.requests();
  REQUIRE(reqs.size() == 2);
  CHECK(reqs[1].path == "/api/v1/namespaces/ns/pods/b");
  CHECK(seconds_between(reqs[0], reqs[1]) >= 0.9);
}
