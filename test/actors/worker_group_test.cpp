// A worker group's actor under the test coordinator, its writes answered by hand.

#include <catch2/catch.hpp>
#include <set>

#include "actors/worker_group_actor.hpp"
#include "test/actors/actor_fixture.hpp"

using namespace actor_test;
using namespace std::chrono_literals;
using actors::group_spec;

namespace {

struct group_fixture : actor_fixture {
  std::shared_ptr<heard> cluster_heard = std::make_shared<heard>();
  caf::actor cluster = sys.spawn(cluster_stand_in, cluster_heard);
  actors::worker_group_actor group;

  explicit group_fixture(actors::worker_group_options options = {}) {
    options.wake.failure_backoff.jitter = 0;
    options.write_retry.jitter = 0;
    group = actors::spawn_worker_group(self.ptr(), cluster, &port, "workers", options);
  }
  ~group_fixture() override { caf::anon_send_exit(group, caf::exit_reason::user_shutdown); }

  // The update the next want() carries (ray/updates.hpp).
  std::string hash;
  ray::upgrade_strategy strategy;
  bool head_current = true;
  std::string recreate_to;

  void want(int64_t desired, std::vector<std::string> to_delete = {}, bool autoscaling = false) {
    group_spec gs;
    gs.group_hash = hash;
    gs.strategy = strategy;
    gs.head_current = head_current;
    gs.recreate_to = recreate_to;
    gs.group = "workers";
    gs.ns = "ns";
    gs.desired = desired;
    gs.workers_to_delete = std::move(to_delete);
    gs.autoscaling = autoscaling;
    gs.pod = std::make_shared<const k8s::object_template>(
        nlohmann::json{{"apiVersion", "v1"},
                       {"kind", "Pod"},
                       {"metadata", {{"generateName", "c-workers-worker-"}, {"namespace", "ns"}}},
                       {"spec", {{"containers", {{{"name", "ray-worker"}}}}}}});
    caf::anon_send(group, actors::spec_atom::value, std::move(gs));
  }
  void pods(std::vector<actors::pod_ptr> all) {
    caf::anon_send(group, actors::pod_atom::value, actors::resync_atom::value, std::move(all));
  }
  void shows(actors::pod_ptr p) {
    caf::anon_send(group, actors::pod_atom::value, actors::apply_atom::value, std::move(p));
  }
  std::string created_name(size_t index) const { return port.requests.at(index).write.name; }
  // Pods whose deletes were sent; each create's pod, shown Running and ready.
  std::set<std::string> deleted() const {
    std::set<std::string> out;
    for (auto i : port.find("delete", "pods")) out.insert(port.requests[i].write.name);
    return out;
  }
};

actors::pod_ptr made_from(const std::string& name, const std::string& hash, bool ready = true,
                          const std::string& cluster_hash = "") {
  auto p = std::make_shared<ray::observed_pod>(*pod(name, "workers", "Running", ready));
  p->group_hash = hash;
  p->cluster_hash = cluster_hash.empty() ? "c-" + hash : cluster_hash;
  return p;
}

}  // namespace

TEST_CASE("actors: a 20-pod scale-up whose watch events overtake the create replies makes 20 pods",
          "[actors]") {
  group_fixture f;
  f.pods({});
  f.want(20);
  f.settle();
  auto creates = f.port.find("create", "pods");
  REQUIRE(creates.size() == 20);
  std::set<std::string> names;
  for (auto i : creates) names.insert(f.created_name(i));
  CHECK(names.size() == 20);  // each create names its own pod
  for (const auto& n : names) CHECK(n.rfind("c-workers-worker-", 0) == 0);

  // The watch shows every new pod before any create is answered.
  for (auto i : creates) f.shows(pod(f.created_name(i), "workers", "Pending", false));
  f.advance(100ms);
  CHECK(f.port.count("create", "pods") == 20);
  for (auto i : creates) f.port.succeed(i);
  f.advance(100ms);
  // Twenty pods exist and twenty are wanted: nothing more is created, nothing deleted.
  CHECK(f.port.count("create", "pods") == 20);
  CHECK(f.port.count("delete", "pods") == 0);
  f.advance(120s);  // past every expectation's deadline
  CHECK(f.port.count("create", "pods") == 20);
  CHECK(f.port.count("delete", "pods") == 0);
}

TEST_CASE("actors: workersToDelete naming a pending pod deletes it and does not replace it",
          "[actors]") {
  group_fixture f;
  f.pods({pod("w-a", "workers"), pod("w-b", "workers"),
          pod("w-pending", "workers", "Pending", false)});
  f.want(3, {}, true);
  f.settle();
  CHECK(f.port.requests.empty());
  // The autoscaler scales down by one, naming the pending pod.
  f.want(2, {"w-pending"}, true);
  f.advance(100ms);
  auto deletes = f.port.find("delete", "pods");
  REQUIRE(deletes.size() == 1);
  const auto& w = f.port.requests[deletes[0]].write;
  CHECK(w.name == "w-pending");
  CHECK(w.delete_opts.precondition_uid == "uid-w-pending");
  f.port.succeed(deletes[0]);
  f.settle();
  f.shows(pod("w-pending", "workers", "Pending", false, /*deleting=*/true));
  f.settle();
  caf::anon_send(f.group, actors::pod_atom::value, actors::remove_atom::value,
                 pod("w-pending", "workers", "Pending", false, true));
  f.settle();
  f.advance(120s);
  CHECK(f.port.count("create", "pods") == 0);
  CHECK(f.port.count("delete", "pods") == 1);
}

TEST_CASE(
    "actors: a delete with no definite answer is repeated after its backoff, and no other pod goes",
    "[actors]") {
  group_fixture f;
  f.pods({pod("w-a", "workers"), pod("w-b", "workers"), pod("w-c", "workers")});
  f.want(3, {}, true);
  f.settle();
  f.want(2, {"w-b"}, true);  // the autoscaler names w-b
  f.advance(100ms);
  auto deletes = f.port.find("delete", "pods");
  REQUIRE(deletes.size() == 1);
  f.port.fail(deletes[0], k8s::api_error(k8s::error_kind::server_error, "503 ServiceUnavailable",
                                         503, "ServiceUnavailable"));
  f.advance(100ms);
  CHECK(f.port.count("delete", "pods") == 1);  // backing off: not at once
  f.advance(2s);                               // past the first backoff
  CHECK(f.port.count("delete", "pods") == 2);
  deletes = f.port.find("delete", "pods");  // the one unanswered
  REQUIRE(deletes.size() == 1);
  CHECK(f.port.requests[deletes[0]].write.name == "w-b");
  CHECK(f.port.requests[deletes[0]].write.delete_opts.precondition_uid == "uid-w-b");
  // The first had happened after all: the repeat finds the pod gone, which is done.
  f.port.fail(deletes[0], k8s::api_error(k8s::error_kind::not_found, "not found", 404, "NotFound"));
  f.shows(pod("w-b", "workers", "Running", true, /*deleting=*/true));
  f.advance(120s);
  for (auto i : f.port.find("delete", "pods", true)) CHECK(f.port.requests[i].write.name == "w-b");
  CHECK(f.port.count("delete", "pods") == 2);
  CHECK(f.port.count("create", "pods") == 0);
}

TEST_CASE("actors: a create with no definite answer is read back before any replacement",
          "[actors]") {
  group_fixture f;
  f.pods({});
  f.want(1);
  f.settle();
  auto creates = f.port.find("create", "pods");
  REQUIRE(creates.size() == 1);
  const std::string name = f.created_name(creates[0]);
  f.port.fail(creates[0], k8s::api_error(k8s::error_kind::timeout, "no response in time"));
  f.advance(100ms);
  CHECK(f.port.count("create", "pods") == 1);  // the pod may exist: no second create yet
  f.advance(1100ms);                           // the backoff passes: the name is read back
  auto reads = f.port.find("get", "pods");
  REQUIRE(reads.size() == 1);
  CHECK(f.port.requests[reads[0]].write.name == name);

  SECTION("it exists: nothing more is created") {
    f.port.succeed(reads[0]);
    f.settle();
    f.shows(pod(name, "workers"));
    f.advance(120s);
    CHECK(f.port.count("create", "pods") == 1);
  }
  SECTION("it does not: one replacement") {
    f.port.fail(reads[0], k8s::api_error(k8s::error_kind::not_found, "not found", 404, "NotFound"));
    f.advance(100ms);
    CHECK(f.port.count("create", "pods") == 2);
  }
}

TEST_CASE("actors: a create that keeps failing backs off, with one timer armed", "[actors]") {
  group_fixture f;
  f.pods({});
  f.want(1);
  f.settle();
  std::vector<std::chrono::milliseconds> retry_after;
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto creates = f.port.find("create", "pods");
    REQUIRE(creates.size() == 1);
    f.port.fail(creates[0], forbidden("exceeded quota: pods"));
    f.advance(100ms);
    CHECK(f.port.find("create", "pods").empty());
    REQUIRE(f.port.timers.count(f.group.id()) == 1);
    const auto at = f.port.timer_of(caf::actor_cast<caf::actor>(f.group))->at;
    retry_after.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(at - f.port.now_));
    f.advance(retry_after.back());
  }
  REQUIRE(retry_after.size() == 3);
  CHECK(retry_after[0] < retry_after[1]);
  CHECK(retry_after[1] < retry_after[2]);
  CHECK(f.port.count("create", "pods") == 4);  // three failed, and the fourth attempt now
  // The RayCluster actor heard of the failure (for its ReplicaFailure condition) and of
  // every failed create (it aggregates the Events).
  REQUIRE(!f.cluster_heard->failures.empty());
  CHECK(f.cluster_heard->failures.back().rfind("FailedCreateWorkerPod: ", 0) == 0);
  CHECK(f.cluster_heard->events.size() == 3);
  for (const auto& e : f.cluster_heard->events) {
    CHECK(e.reason == "FailedToCreateWorkerPod");
    CHECK(e.message == f.cluster_heard->events.front().message);
  }
}

TEST_CASE("actors: with upgradeStrategy None, outdated pods stay and count as pods", "[actors]") {
  group_fixture f;
  f.pods({made_from("w-a", "old"), made_from("w-b", "old")});
  f.hash = "new";
  f.want(2);
  f.settle();
  f.advance(120s);
  CHECK(f.port.requests.empty());
}

TEST_CASE(
    "actors: a rolling update surges by one, and an old pod goes only once a new one is ready",
    "[actors]") {
  group_fixture f;
  f.pods({made_from("w-a", "old"), made_from("w-b", "old"), made_from("w-c", "old")});
  f.hash = "new";
  f.strategy.type = ray::upgrade_type::rolling_update;
  f.strategy.max_surge = 1;
  f.strategy.max_unavailable = 0;

  SECTION("nothing moves while the head is not yet current") {
    f.head_current = false;
    f.want(3);
    f.settle();
    f.advance(120s);
    CHECK(f.port.requests.empty());
  }
  SECTION("one new pod, then one old one per new one ready") {
    f.want(3);
    f.settle();
    auto creates = f.port.find("create", "pods");
    REQUIRE(creates.size() == 1);  // 3 + maxSurge 1
    CHECK(f.deleted().empty());    // maxUnavailable 0: every old pod is needed
    const std::string first = f.created_name(creates[0]);
    f.port.succeed(creates[0]);
    f.shows(made_from(first, "new", /*ready=*/false));
    f.advance(100ms);
    CHECK(f.port.count("create", "pods") == 1);
    CHECK(f.deleted().empty());  // the new pod is not ready yet

    f.shows(made_from(first, "new", true));
    f.advance(100ms);
    REQUIRE(f.deleted().size() == 1);
    const std::string gone = *f.deleted().begin();
    CHECK(gone.rfind("w-", 0) == 0);
    for (auto i : f.port.find("delete", "pods")) f.port.succeed(i);
    f.shows(made_from(gone, "old", true));  // still shown: not yet terminating
    f.advance(100ms);
    CHECK(f.port.count("delete", "pods") == 1);  // its delete is not repeated
    CHECK(f.port.count("create", "pods") == 1);  // 4 pods: the budget is spent
    caf::anon_send(f.group, actors::pod_atom::value, actors::remove_atom::value,
                   made_from(gone, "old"));
    f.advance(100ms);
    CHECK(f.port.count("create", "pods") == 2);  // room for the next new pod
  }
}

TEST_CASE("actors: a rolling update with maxUnavailable 1 replaces an old pod before its successor",
          "[actors]") {
  group_fixture f;
  f.pods({made_from("w-a", "old"), made_from("w-b", "old"), made_from("w-c", "old", false)});
  f.hash = "new";
  f.strategy.type = ray::upgrade_type::rolling_update;
  f.strategy.max_surge = 0;
  f.strategy.max_unavailable = 1;
  f.want(3);
  f.settle();
  // 2 ready of 3, and 2 must stay: only the unready old pod may go, and nothing surges.
  CHECK(f.deleted() == std::set<std::string>{"w-c"});
  CHECK(f.port.count("create", "pods") == 0);
}

TEST_CASE("actors: a Recreate round deletes every pod not made for the new cluster spec at once",
          "[actors]") {
  group_fixture f;
  // This group's own spec did not change; the cluster's did.
  f.pods({made_from("w-a", "same", true, "c-old"), made_from("w-b", "same", true, "c-old"),
          made_from("w-new", "same", true, "c-new")});
  f.hash = "same";
  f.strategy.type = ray::upgrade_type::recreate;
  f.recreate_to = "c-new";
  f.want(3);
  f.settle();
  CHECK(f.deleted() == std::set<std::string>{"w-a", "w-b"});
  CHECK(f.port.count("create", "pods") == 2);  // replaced together, not one by one
}
