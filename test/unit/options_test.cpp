#include "app/options.hpp"

#include <catch2/catch.hpp>

namespace {
app::parse_outcome parse(std::vector<const char*> args) {
  args.insert(args.begin(), "ray-operator");
  return app::parse_options(static_cast<int>(args.size()), args.data());
}
}  // namespace

TEST_CASE("options: defaults watch every namespace at 100 qps / 200 burst") {
  auto out = parse({});
  REQUIRE(out.parsed);
  CHECK(out.parsed->namespaces.empty());
  CHECK(out.parsed->qps == 100);
  CHECK(out.parsed->burst == 200);
  CHECK(out.parsed->log_format == "text");
  CHECK(out.parsed->request_timeout_seconds == 30);
  CHECK(out.help.find("--kubeconfig") != std::string::npos);
}

TEST_CASE("options: namespaces are comma-separated and may repeat") {
  auto out = parse({"--namespaces", "a,b", "--namespaces=c", "--qps", "5", "--burst", "7"});
  REQUIRE(out.parsed);
  CHECK(out.parsed->namespaces == std::vector<std::string>{"a", "b", "c"});
  CHECK(out.parsed->qps == 5);
  CHECK(out.parsed->burst == 7);
}

TEST_CASE("options: bad values are refused with a message naming the flag") {
  CHECK(parse({"--log-format", "xml"}).error.find("--log-format") != std::string::npos);
  CHECK(parse({"--log-level", "loud"}).error.find("--log-level") != std::string::npos);
  CHECK(parse({"--burst", "0"}).error.find("--burst") != std::string::npos);
  CHECK(parse({"--request-timeout", "0"}).error.find("--request-timeout") != std::string::npos);
  CHECK(parse({"--leader-election-id", "my_lease"}).error.find("--leader-election-id") !=
        std::string::npos);
  CHECK_FALSE(parse({"--no-such-flag"}).parsed);
  CHECK_FALSE(parse({"--qps", "many"}).parsed);
}
