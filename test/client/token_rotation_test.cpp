// A projected service-account token is rotated on disk; the client picks up the new one.

#include <catch2/catch.hpp>
#include <thread>

#include "test/client/client_fixture.hpp"

using namespace client_fixture;
using namespace std::chrono_literals;
using test_support::http_request;
using test_support::response_writer;

TEST_CASE("client auth: a token file rewritten mid-run is picked up") {
  test_support::scripted_server server(
      [](const http_request&, response_writer& w) { w.send(200, R"({"kind":"Pod"})"); });
  test_support::temp_dir dir;
  const auto token_path = dir.write("token", "first-token\n");
  auto cfg = config_for(server, "");
  cfg.token = k8s::token_source::from_file(token_path, 200ms);
  k8s::client api(cfg);

  auto get = [&] {
    REQUIRE(await_json([&](auto cb) { api.get(k8s::resources::pods, "ns", "p", cb); }).ok());
    return server.requests().back().header("authorization");
  };
  CHECK(get() == "Bearer first-token");

  dir.write("token", "second-token\n");
  // Within one refresh interval the old token may still be used; after it, the new one must be.
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  std::string seen;
  while ((seen = get()) != "Bearer second-token" && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(20ms);  // poll interval
  CHECK(seen == "Bearer second-token");
}

TEST_CASE(
    "client auth: a token refused 401 is read again from its file, and the call repeated once") {
  test_support::scripted_server server([](const http_request& r, response_writer& w) {
    if (r.header("authorization") == "Bearer new-token")
      w.send(200, R"({"kind":"Pod"})");
    else
      w.send(401, R"({"kind":"Status","code":401,"reason":"Unauthorized"})");
  });
  test_support::temp_dir dir;
  const auto token_path = dir.write("token", "old-token\n");
  auto cfg = config_for(server, "");
  cfg.token = k8s::token_source::from_file(token_path, 1h);  // no periodic re-read in this test
  k8s::client api(cfg);
  auto get = [&] {
    return await_json([&](auto cb) { api.get(k8s::resources::pods, "ns", "p", cb); });
  };

  // The file still holds the refused token: one attempt, no repeat.
  auto refused = get();
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().http_code() == 401);
  CHECK(server.requests().size() == 1);

  // Rotated on disk (and the old one revoked): the 401 brings the new token in at once.
  dir.write("token", "new-token\n");
  auto r = get();
  CHECK(r.ok());
  REQUIRE(server.requests().size() == 3);
  CHECK(server.requests()[1].header("authorization") == "Bearer old-token");
  CHECK(server.requests()[2].header("authorization") == "Bearer new-token");
}
