#include "ray/redis_cleanup.hpp"

#include <catch2/catch.hpp>

#include "cluster_fixture.hpp"

using namespace ray;
using namespace ray_test;
using nlohmann::json;

namespace {

json with_redis(const char* options) {
  json cluster = seed_cluster();
  cluster["spec"]["gcsFaultToleranceOptions"] = json::parse(options);
  return cluster;
}

redis_cleanup_plan plan_of(const json& cluster) {
  auto plan = plan_redis_cleanup(cluster);
  if (auto* why = std::get_if<std::string>(&plan)) FAIL(*why);
  return std::get<redis_cleanup_plan>(plan);
}

std::string why_not(const json& cluster) {
  auto plan = plan_redis_cleanup(cluster);
  REQUIRE(std::holds_alternative<std::string>(plan));
  return std::get<std::string>(plan);
}

redis_endpoint endpoint(const char* address) {
  auto e = parse_redis_address(address);
  if (auto* why = std::get_if<std::string>(&e)) FAIL(*why);
  return std::get<redis_endpoint>(e);
}

std::string timeout_of(const char* value) {
  json cluster = seed_cluster();
  cluster["metadata"]["annotations"][annotation_gcs_ft_deletion_timeout] = value;
  auto t = gcs_ft_deletion_timeout(cluster);
  if (auto* why = std::get_if<std::string>(&t)) return *why;
  return std::to_string(std::get<std::chrono::seconds>(t).count());
}

}  // namespace

TEST_CASE("redis cleanup: only clusters whose GCS state is in Redis need it") {
  CHECK_FALSE(keeps_state_in_redis(seed_cluster()));
  CHECK(keeps_state_in_redis(with_redis(R"({"redisAddress": "redis:6379"})")));
  CHECK_FALSE(keeps_state_in_redis(with_redis(R"({"backend": "rocksdb"})")));
  json annotated = seed_cluster();
  annotated["metadata"]["annotations"]["ray.io/ft-enabled"] = "True";  // KubeRay ignores case
  CHECK(keeps_state_in_redis(annotated));
}

TEST_CASE("redis cleanup: the options form gives the address, the Secret's password and the uid") {
  const auto plan = plan_of(with_redis(R"({"redisAddress": "redis://redis:6379",
      "redisPassword": {"valueFrom": {"secretKeyRef": {"name": "redis", "key": "password"}}},
      "redisUsername": {"value": "ray"}})"));
  CHECK(plan.address == value_source{"redis://redis:6379", {}, {}});
  CHECK(plan.password == value_source{{}, "redis", "password"});
  CHECK(plan.username == value_source{"ray", {}, {}});
  CHECK(plan.storage_namespace == "uid-1234");
  CHECK(plan.key_pattern == "RAYuid-1234@*");
}

TEST_CASE("redis cleanup: the annotation form reads the user's own env and literal password flag") {
  json cluster = seed_cluster();
  cluster["metadata"]["annotations"]["ray.io/ft-enabled"] = "true";
  cluster["metadata"]["annotations"]["ray.io/external-storage-namespace"] = "my*ns";
  head_container(cluster)["env"] = json::parse(R"([{"name": "RAY_REDIS_ADDRESS",
      "valueFrom": {"secretKeyRef": {"name": "where", "key": "address"}}}])");
  cluster["spec"]["headGroupSpec"]["rayStartParams"]["redis-password"] = "5241590000000000";
  const auto plan = plan_of(cluster);
  CHECK(plan.address == value_source{{}, "where", "address"});
  CHECK(plan.password == value_source{"5241590000000000", {}, {}});
  CHECK(plan.storage_namespace == "my*ns");
  CHECK(plan.key_pattern == "RAYmy\\*ns@*");  // a glob character matches only itself
}

TEST_CASE("redis cleanup: no address, or one from a ConfigMap, cannot be followed") {
  json cluster = seed_cluster();
  cluster["metadata"]["annotations"]["ray.io/ft-enabled"] = "true";
  CHECK(why_not(cluster).find("RAY_REDIS_ADDRESS") != std::string::npos);
  head_container(cluster)["env"] = json::parse(R"([{"name": "RAY_REDIS_ADDRESS",
      "valueFrom": {"configMapKeyRef": {"name": "where", "key": "address"}}}])");
  CHECK(why_not(cluster).find("other than a Secret") != std::string::npos);
}

TEST_CASE("redis address: host and port, URLs with credentials, the first of a list") {
  auto plain = endpoint("redis:6379");
  CHECK(plain.host == "redis");
  CHECK(plain.port == 6379);
  CHECK_FALSE(plain.tls);
  CHECK(endpoint("10.0.0.5").port == 6379);
  auto url = endpoint("rediss://user:p%40ss@redis.example.com:6380/0");
  CHECK(url.host == "redis.example.com");
  CHECK(url.port == 6380);
  CHECK(url.username == "user");
  CHECK(url.password == "p@ss");
  CHECK(url.tls);
  CHECK(endpoint("redis://:secret@r:1").password == "secret");
  CHECK(endpoint("first:1,second:2").host == "first");
  CHECK(endpoint("[::1]:7000").host == "::1");
  CHECK(endpoint("[::1]:7000").port == 7000);
  for (const char* bad : {"http://redis:6379", "redis:0", "redis:99999", "redis:6379x", ":6379"})
    CHECK(std::holds_alternative<std::string>(parse_redis_address(bad)));
}

TEST_CASE("deletion timeout: five minutes unless the annotation says seconds or a duration") {
  CHECK(std::get<std::chrono::seconds>(gcs_ft_deletion_timeout(seed_cluster())).count() == 300);
  CHECK(timeout_of("60") == "60");
  CHECK(timeout_of("90s") == "90");
  CHECK(timeout_of("5m") == "300");
  CHECK(timeout_of("1h30m") == "5400");
  CHECK(timeout_of("0") == "0");
  for (const char* bad : {"soon", "5m30", "-5", "m", "1.5m"})
    CHECK(timeout_of(bad).find("not seconds or a duration") != std::string::npos);
}
