#include "k8s/backoff.hpp"

#include <catch2/catch.hpp>

using namespace std::chrono_literals;

TEST_CASE("backoff: delays double up to the cap") {
  k8s::backoff b({100ms, 1000ms, 2.0, 0.0});
  CHECK(b.next() == 100ms);
  CHECK(b.next() == 200ms);
  CHECK(b.next() == 400ms);
  CHECK(b.next() == 800ms);
  CHECK(b.next() == 1000ms);
  CHECK(b.next() == 1000ms);
  CHECK(b.attempts() == 6);
  b.reset();
  CHECK(b.next() == 100ms);
}

TEST_CASE("backoff: jitter stays within its bounds and varies") {
  k8s::backoff_policy policy{1000ms, 1000ms, 2.0, 0.2};
  bool varied = false;
  std::chrono::milliseconds first{};
  for (int i = 0; i < 200; ++i) {
    k8s::backoff b(policy);
    const auto d = b.next();
    REQUIRE(d >= 800ms);
    REQUIRE(d <= 1200ms);
    if (i == 0) first = d;
    if (d != first) varied = true;
  }
  CHECK(varied);
}
