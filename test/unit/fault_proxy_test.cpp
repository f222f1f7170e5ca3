// The fault proxy's decisions and commands (sandbox/fault_proxy), on plain values.
#include <catch2/catch.hpp>

#include "sandbox/fault_proxy/connections.hpp"
#include "sandbox/fault_proxy/control.hpp"
#include "sandbox/fault_proxy/fault_plan.hpp"

using namespace fault_proxy;
using namespace std::chrono_literals;

TEST_CASE("fault proxy: a request target names its resource, and whether it watches or resumes") {
  auto pods = describe("GET", "/api/v1/namespaces/n/pods?watch=1&resourceVersion=42");
  CHECK(pods.resource == "pods");
  CHECK(pods.watch);
  CHECK(pods.resumes);
  auto first = describe("GET", "/apis/ray.io/v1/rayclusters?watch=true&resourceVersion=0");
  CHECK(first.resource == "rayclusters");
  CHECK(first.watch);
  CHECK_FALSE(first.resumes);
  auto status = describe("PATCH", "/apis/ray.io/v1/namespaces/n/rayclusters/c/status");
  CHECK(status.resource == "rayclusters");
  CHECK_FALSE(status.watch);
  auto old_watch = describe("GET", "/api/v1/watch/namespaces/n/pods?resourceVersion=7");
  CHECK(old_watch.resource == "pods");
  CHECK(old_watch.watch);
  CHECK(old_watch.resumes);
  CHECK(describe("GET", "/api/v1/namespaces/n").resource == "namespaces");
  CHECK(describe("GET", "/apis/coordination.k8s.io/v1/namespaces/n/leases/l").resource == "leases");
  CHECK(describe("GET", "/version").resource.empty());
}

TEST_CASE("fault proxy: with no rule every request is forwarded at once") {
  fault_plan plan;
  auto d = plan.decide(describe("POST", "/api/v1/namespaces/n/pods"), clock::now());
  CHECK(d.what == decision::action::forward);
  CHECK(d.delay == 0ms);
  CHECK(plan.outcomes().at("forwarded") == 1);
  CHECK(plan.requests().at("POST") == 1);
}

TEST_CASE("fault proxy: an error rule answers matching requests for its count, then lets them by") {
  fault_plan plan;
  const auto now = clock::now();
  REQUIRE(
      plan.command(
              "error",
              {{"code", "429"}, {"retry_after", "2"}, {"count", "2"}, {"methods", "POST,PATCH"}},
              now)
          .empty());
  auto create = describe("POST", "/api/v1/namespaces/n/pods");
  auto list = describe("GET", "/api/v1/namespaces/n/pods");
  CHECK(plan.decide(list, now).what == decision::action::forward);
  auto first = plan.decide(create, now);
  CHECK(first.what == decision::action::respond);
  CHECK(first.code == 429);
  CHECK(first.retry_after == 2);
  CHECK(plan.decide(create, now).what == decision::action::respond);
  CHECK(plan.decide(create, now).what == decision::action::forward);
  CHECK(plan.outcomes().at("error 429") == 2);
}

TEST_CASE("fault proxy: a rule with seconds ends at its deadline") {
  fault_plan plan;
  const auto now = clock::now();
  REQUIRE(plan.command("error", {{"code", "503"}, {"seconds", "5"}}, now).empty());
  auto get = describe("GET", "/api/v1/namespaces/n/services");
  CHECK(plan.decide(get, now + 4s).what == decision::action::respond);
  CHECK(plan.decide(get, now + 5s).what == decision::action::forward);
}

TEST_CASE("fault proxy: a rule for one resource leaves the others alone, watches can be excluded") {
  fault_plan plan;
  const auto now = clock::now();
  REQUIRE(plan.command("drop", {{"resource", "pods"}, {"watches", "none"}}, now).empty());
  CHECK(plan.decide(describe("POST", "/api/v1/namespaces/n/pods"), now).what ==
        decision::action::drop);
  CHECK(plan.decide(describe("GET", "/api/v1/namespaces/n/pods?watch=1"), now).what ==
        decision::action::forward);
  CHECK(plan.decide(describe("POST", "/api/v1/namespaces/n/services"), now).what ==
        decision::action::forward);
}

TEST_CASE("fault proxy: a percentage hits about that share of the requests") {
  fault_plan plan(7);
  const auto now = clock::now();
  REQUIRE(plan.command("error", {{"code", "500"}, {"percent", "30"}}, now).empty());
  int hit = 0;
  for (int i = 0; i < 1000; ++i)
    hit += plan.decide(describe("GET", "/api/v1/pods"), now).what == decision::action::respond;
  CHECK(hit > 230);
  CHECK(hit < 370);
}

TEST_CASE("fault proxy: gone answers only watches that resume from a version") {
  fault_plan plan;
  const auto now = clock::now();
  REQUIRE(plan.command("gone", {{"count", "1"}}, now).empty());
  CHECK(plan.decide(describe("GET", "/api/v1/pods?watch=1"), now).what ==
        decision::action::forward);
  CHECK(plan.decide(describe("GET", "/api/v1/pods"), now).what == decision::action::forward);
  CHECK(plan.decide(describe("GET", "/api/v1/pods?watch=1&resourceVersion=9"), now).what ==
        decision::action::gone);
  CHECK(plan.decide(describe("GET", "/api/v1/pods?watch=1&resourceVersion=9"), now).what ==
        decision::action::forward);
}

TEST_CASE("fault proxy: latency delays what is forwarded, and reset clears every rule") {
  fault_plan plan;
  const auto now = clock::now();
  REQUIRE(plan.command("latency", {{"ms", "250"}}, now).empty());
  REQUIRE(plan.command("error", {{"code", "500"}, {"resource", "services"}}, now).empty());
  CHECK(plan.decide(describe("GET", "/api/v1/pods"), now).delay == 250ms);
  REQUIRE(plan.command("reset", {}, now).empty());
  CHECK(plan.decide(describe("GET", "/api/v1/pods"), now).delay == 0ms);
  CHECK(plan.decide(describe("GET", "/api/v1/services"), now).what == decision::action::forward);
}

TEST_CASE("fault proxy: latency with seconds ends by itself") {
  fault_plan plan;
  const auto now = clock::now();
  REQUIRE(plan.command("latency", {{"ms", "100"}, {"seconds", "3"}}, now).empty());
  CHECK(plan.decide(describe("GET", "/api/v1/pods"), now + 2s).delay == 100ms);
  CHECK(plan.decide(describe("GET", "/api/v1/pods"), now + 3s).delay == 0ms);
}

TEST_CASE("fault proxy: a command with a wrong or unknown parameter is refused, saying which") {
  fault_plan plan;
  const auto now = clock::now();
  CHECK(plan.command("error", {}, now) == "error needs code");
  CHECK(plan.command("error", {{"code", "200"}}, now) == "code must be 400..599, not \"200\"");
  CHECK(plan.command("error", {{"code", "500"}, {"secnds", "3"}}, now) ==
        "unknown parameter \"secnds\"");
  CHECK(plan.command("drop", {{"percent", "120"}}, now) == "percent must be 0..100, not \"120\"");
  CHECK(plan.command("explode", {}, now) == "unknown command \"explode\"");
  CHECK(plan.decide(describe("GET", "/api/v1/pods"), now).what == decision::action::forward);
}

TEST_CASE("fault proxy: the control endpoint's target is a command and its parameters") {
  auto [name, params] = parse_target("/error?code=429&methods=POST%2CPATCH&resource=pods");
  CHECK(name == "error");
  CHECK(params.at("code") == "429");
  CHECK(params.at("methods") == "POST,PATCH");
  CHECK(params.at("resource") == "pods");
  CHECK(parse_target("/status").first == "status");
}

TEST_CASE("fault proxy: commands are POSTed, and each says what it did") {
  fault_plan plan;
  connections conns;
  CHECK(run_command("GET", "cut", {}, plan, conns).code == 405);
  auto cut = run_command("POST", "cut", {{"resource", "pods"}}, plan, conns);
  CHECK(cut.code == 200);
  CHECK(cut.body.find("\"cut\":0") != std::string::npos);
  CHECK(run_command("POST", "blackhole", {{"seconds", "x"}}, plan, conns).code == 400);
  CHECK(run_command("POST", "nothing", {}, plan, conns).code == 404);
  CHECK(run_command("POST", "error", {{"code", "503"}}, plan, conns).code == 200);
  CHECK(plan.decide(describe("GET", "/api/v1/pods"), clock::now()).code == 503);
  CHECK(run_command("POST", "reset", {}, plan, conns).code == 200);
  CHECK(run_command("GET", "status", {}, plan, conns).body.find("\"connections\":0") !=
        std::string::npos);
}

TEST_CASE("fault proxy: a blackhole holds every connection, and its release cuts them") {
  connections conns;
  auto before = conns.add(-1);
  conns.hold();
  auto during = conns.add(-1);
  CHECK(conns.status().holding);
  CHECK(before->held);
  CHECK(during->held);
  CHECK(conns.release() == 2);
  CHECK_FALSE(conns.pass(*before));  // a held connection closes after the release
  auto after = conns.add(-1);
  CHECK(conns.pass(*after));
  conns.set_watch(*after, "pods");
  CHECK(conns.status().watches.at("pods") == 1);
  CHECK(conns.cut_watches("services") == 0);
  CHECK(conns.cut_watches("pods") == 1);
}
