// A RayCluster whose GCS state is in Redis: its finalizer, and what deleting it does.

#include <catch2/catch.hpp>

#include "actors/clock.hpp"
#include "actors/raycluster_actor.hpp"
#include "test/actors/actor_fixture.hpp"

using namespace actor_test;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

constexpr const char* finalizer = "ray.io/gcs-ft-redis-cleanup-finalizer";

json ft_cluster(const std::string& rv, json annotations = json::object()) {
  json rc = raycluster_json(rv, std::move(annotations));
  rc["spec"]["gcsFaultToleranceOptions"] = {{"redisAddress", "redis:6379"}};
  return rc;
}

actors::child_ptr head_statefulset() {
  actors::observed_child c;
  c.kind = "StatefulSet";
  c.name = "c-head";
  c.uid = "uid-sts";
  c.resource_version = "7";
  c.owner_uid = "uid-c";
  c.replicas = 1;
  return std::make_shared<const actors::observed_child>(std::move(c));
}

struct deletion_fixture : actor_fixture {
  std::shared_ptr<int> healthy = std::make_shared<int>(0);
  caf::actor supervisor = sys.spawn(supervisor_stand_in, healthy);
  actors::raycluster_actor cluster;
  json stored;

  explicit deletion_fixture(json annotations = json::object(), bool cleanup = true) {
    actors::raycluster_options options;
    options.redis_cleanup = cleanup;
    options.status_interval = 0ms;
    options.wake.failure_backoff.jitter = 0;
    options.group.write_retry.jitter = 0;
    options.ledger.retry.jitter = 0;
    stored = ft_cluster("10", std::move(annotations));
    actors::cluster_seed seed{std::make_shared<const json>(stored), {}, {}};
    cluster = actors::spawn_raycluster(self.ptr(), supervisor, {"ns", "c"}, 1, &port,
                                       std::move(seed), options);
    settle();
  }
  ~deletion_fixture() override { caf::anon_send_exit(cluster, caf::exit_reason::user_shutdown); }

  void spec(const json& rc) {
    stored = rc;
    caf::anon_send(cluster, actors::spec_atom::value, std::make_shared<const json>(rc));
    advance(100ms);
  }
  void send_pod(actors::pod_ptr p, bool removed = false) {
    if (removed)
      caf::anon_send(cluster, actors::pod_atom::value, actors::remove_atom::value, std::move(p));
    else
      caf::anon_send(cluster, actors::pod_atom::value, actors::apply_atom::value, std::move(p));
    advance(600ms);
  }
  // Writes of the RayCluster's metadata (finalizers), not its status or defaults.
  std::vector<size_t> finalizer_writes(bool all = false) const {
    std::vector<size_t> out;
    for (auto i : port.find("patch", "rayclusters", all)) {
      const auto& body = port.requests[i].write.body;
      if (body.contains("metadata") && body["metadata"].contains("finalizers")) out.push_back(i);
    }
    return out;
  }
  size_t events(const std::string& reason) const {
    size_t n = 0;
    for (const auto& r : port.requests)
      if (r.write.type.plural == "events" && r.write.body.value("reason", "") == reason) ++n;
    return n;
  }
  std::string event_message(const std::string& reason) const {
    for (const auto& r : port.requests)
      if (r.write.type.plural == "events" && r.write.body.value("reason", "") == reason)
        return r.write.body.value("message", "");
    return "";
  }
  // The finalizer written and shown; then the cluster's children are made and shown.
  void run_cluster() {
    auto f = finalizer_writes();
    REQUIRE(f.size() == 1);
    port.succeed(f[0], "11");
    json rc = stored;
    rc["metadata"]["resourceVersion"] = "11";
    rc["metadata"]["finalizers"] = {finalizer};
    spec(rc);
    // The defaults come next; the watch shows the RayCluster as that write left it.
    auto defaults = port.find("patch", "rayclusters");
    REQUIRE(defaults.size() == 1);
    port.succeed(defaults[0], "12");
    rc["metadata"]["resourceVersion"] = "12";
    spec(rc);
    for (int round = 0; round < 5; ++round) {
      for (size_t i = 0; i < port.requests.size(); ++i)
        if (!port.requests[i].answered) port.succeed(i, "2" + std::to_string(i));
      advance(100ms);
    }
    caf::anon_send(cluster, actors::child_atom::value, actors::apply_atom::value,
                   head_statefulset());
    send_pod(pod("c-head-0", "headgroup"));
  }
  // `kubectl delete`: the RayCluster is marked for deletion, its finalizers hold it.
  void delete_cluster(const std::string& deleted_at = actors::now_rfc3339()) {
    json rc = stored;
    rc["metadata"]["resourceVersion"] = "30";
    rc["metadata"]["deletionTimestamp"] = deleted_at;
    spec(rc);
  }
  // The head StatefulSet's delete answered, and its pod gone.
  void head_goes() {
    auto deletes = port.find("delete", "statefulsets");
    REQUIRE(deletes.size() == 1);
    CHECK(port.requests[deletes[0]].write.name == "c-head");
    CHECK(port.requests[deletes[0]].write.delete_opts.precondition_uid == "uid-sts");
    port.succeed(deletes[0], "31");
    send_pod(pod("c-head-0", "headgroup"), true);
  }
  void answer_cleanup(std::optional<k8s::api_error> error, int64_t deleted = 0) {
    auto cleanups = port.find("clean-redis", "redis");
    REQUIRE(cleanups.size() == 1);
    actors::write_result r;
    r.error = std::move(error);
    r.deleted = deleted;
    port.answer(cleanups[0], std::move(r));
    advance(100ms);
  }
};

}  // namespace

TEST_CASE("deletion: the Redis finalizer is written before any child exists", "[actors]") {
  deletion_fixture f;
  auto writes = f.finalizer_writes();
  REQUIRE(writes.size() == 1);
  const auto& body = f.port.requests[writes[0]].write.body;
  CHECK(body["metadata"]["finalizers"] == json{finalizer});
  CHECK(body["metadata"]["resourceVersion"] == "10");  // conditional on what was seen
  CHECK(f.port.count("create", "services") == 0);
  CHECK(f.port.count("create", "statefulsets") == 0);
  f.run_cluster();
  CHECK(f.port.count("create", "statefulsets") == 1);
  CHECK(f.finalizer_writes(true).size() == 1);  // once: it is there now
}

TEST_CASE("deletion: the head stops, then the cluster's keys go, then the finalizer", "[actors]") {
  deletion_fixture f;
  f.run_cluster();
  f.delete_cluster();
  CHECK(f.port.count("clean-redis", "redis") == 0);  // the GCS may still be writing
  f.head_goes();
  auto cleanups = f.port.find("clean-redis", "redis");
  REQUIRE(cleanups.size() == 1);
  CHECK(f.port.requests[cleanups[0]].write.body["pattern"] == "RAYuid-c@*");
  CHECK(f.port.requests[cleanups[0]].write.body["address"] == "redis:6379");
  CHECK(f.finalizer_writes().empty());

  // Redis unreachable: a Warning, the finalizer stays, and it is tried again after a backoff.
  f.answer_cleanup(k8s::api_error(k8s::error_kind::transport, "Connection refused"));
  CHECK(f.events("RedisCleanupFailed") == 1);
  CHECK(f.event_message("RedisCleanupFailed").find("Connection refused") != std::string::npos);
  CHECK(f.finalizer_writes().empty());
  CHECK(f.port.find("clean-redis", "redis").empty());
  f.advance(1100ms);
  f.answer_cleanup(std::nullopt, 3);
  CHECK(f.events("DeletedRedisKeys") == 1);
  CHECK(f.event_message("DeletedRedisKeys").find("Deleted 3 keys") != std::string::npos);
  auto writes = f.finalizer_writes();
  REQUIRE(writes.size() == 1);
  CHECK(f.port.requests[writes[0]].write.body["metadata"]["finalizers"] == json::array());
  CHECK(f.port.requests[writes[0]].write.body["metadata"]["resourceVersion"] == "30");
  // Nothing was created, and no worker deleted, on the way.
  CHECK(f.port.count("delete", "pods") == 0);
  CHECK(f.port.count("create", "statefulsets") == 1);
}

TEST_CASE("deletion: Redis never back, the finalizer goes at the timeout with a Warning",
          "[actors]") {
  deletion_fixture f(json{{"ray.io/gcs-ft-deletion-timeout", "60s"}});
  f.run_cluster();
  f.delete_cluster();
  f.head_goes();
  for (int attempt = 0; attempt < 5 && f.finalizer_writes().empty(); ++attempt) {
    if (!f.port.find("clean-redis", "redis").empty())
      f.answer_cleanup(k8s::api_error(k8s::error_kind::timeout, "no reply in 10 s"));
    CHECK(f.finalizer_writes().empty());
    f.advance(17s);
  }
  auto writes = f.finalizer_writes();
  REQUIRE(writes.size() == 1);
  CHECK(f.port.requests[writes[0]].write.body["metadata"]["finalizers"] == json::array());
  CHECK(f.events("ForceDeletedStuckCluster") == 1);
  CHECK(f.event_message("ForceDeletedStuckCluster").find("RAYuid-c@*") != std::string::npos);
}

TEST_CASE("deletion: a timeout already past when the operator sees the deletion lets go at once",
          "[actors]") {
  deletion_fixture f(json{{"ray.io/gcs-ft-deletion-timeout", "1m"}});
  f.run_cluster();
  f.delete_cluster("2026-01-01T00:00:00Z");
  CHECK(f.events("ForceDeletedStuckCluster") == 1);
  CHECK(f.finalizer_writes().size() == 1);
}

TEST_CASE("deletion: a cleanup that cannot work says so and lets the deletion go", "[actors]") {
  deletion_fixture f;
  f.run_cluster();
  f.delete_cluster();
  f.head_goes();
  f.answer_cleanup(k8s::api_error(k8s::error_kind::invalid, "the Redis address is rediss://"));
  CHECK(f.events("RedisCleanupSkipped") == 1);
  CHECK(f.finalizer_writes().size() == 1);
  CHECK(f.port.find("clean-redis", "redis").empty());
}

TEST_CASE("deletion: with the cleanup turned off, no finalizer and nothing waits", "[actors]") {
  deletion_fixture f(json::object(), false);
  CHECK(f.finalizer_writes().empty());
  CHECK(f.port.count("create", "statefulsets") + f.port.count("patch", "rayclusters") >= 1);
  f.delete_cluster();
  CHECK(f.port.count("delete", "statefulsets") == 0);
  CHECK(f.port.count("clean-redis", "redis") == 0);
  CHECK(f.finalizer_writes().empty());
}

TEST_CASE("deletion: a finalizer someone removed from a live cluster is written again",
          "[actors]") {
  deletion_fixture f;
  f.run_cluster();
  json rc = f.stored;
  rc["metadata"]["resourceVersion"] = "25";
  rc["metadata"]["finalizers"] = json::array();
  f.spec(rc);
  auto writes = f.finalizer_writes();
  REQUIRE(writes.size() == 1);
  CHECK(f.port.requests[writes[0]].write.body["metadata"]["finalizers"] == json{finalizer});
}
