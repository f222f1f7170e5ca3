// The cluster supervisor under the test coordinator: its stores seed the RayCluster actors,
// and it restarts a failing one with backoff.

#include <catch2/catch.hpp>

#include "actors/cluster_supervisor.hpp"
#include "test/actors/actor_fixture.hpp"

using namespace actor_test;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

json raycluster(bool failing) {
  return raycluster_json(
      failing ? "10" : "12",
      failing ? json{{"ray-operator.dev/fail-reconcile", "true"}} : json::object());
}

struct supervisor_fixture : actor_fixture {
  actors::cluster_supervisor_actor sup;

  supervisor_fixture() {
    actors::supervisor_options options;
    options.cluster.fault_injection = true;
    options.cluster.wake.failure_backoff.jitter = 0;
    sup = actors::spawn_cluster_supervisor(sys, &port, options);
  }
  ~supervisor_fixture() override { caf::anon_send_exit(sup, caf::exit_reason::user_shutdown); }

  // Every store's first list, as the watch hub sends them.
  void lists(std::vector<actors::keyed_pod> pods, std::vector<actors::raycluster_ptr> clusters) {
    caf::anon_send(sup, actors::pod_atom::value, actors::resync_atom::value, std::string(),
                   std::move(pods));
    for (const auto& kind : actors::supervisor_options{}.child_kinds)
      caf::anon_send(sup, actors::child_atom::value, actors::resync_atom::value, kind,
                     std::string(), std::vector<actors::keyed_child>{});
    caf::anon_send(sup, actors::resync_atom::value, std::string(), std::move(clusters));
    settle();
  }
  std::chrono::milliseconds restart_in() {
    auto t = port.timer_of(caf::actor_cast<caf::actor>(sup));
    REQUIRE(t);
    return std::chrono::duration_cast<std::chrono::milliseconds>(t->at - port.now_);
  }
  // Restarts recorded: the count the Event was last written with, once every Event write is
  // answered (a repeat waits for the write before it).
  int64_t restart_events() {
    for (bool answered = true; answered; settle()) {
      answered = false;
      for (size_t i = 0; i < port.requests.size(); ++i)
        if (port.requests[i].write.type.plural == "events" && !port.requests[i].answered) {
          port.succeed(i);
          answered = true;
        }
    }
    int64_t count = 0;
    for (const auto& r : port.requests)
      if (r.write.type.plural == "events" && r.write.reason == "event ReconcilerRestarted")
        count = r.write.body.value("count", count);
    return count;
  }
};

}  // namespace

TEST_CASE("actors: a RayCluster actor is seeded from the stores and lists nothing", "[actors]") {
  supervisor_fixture f;
  auto rc = raycluster(false);
  rc["metadata"].erase("annotations");
  f.lists({{{"ns", "c"}, pod("c-workers-worker-abcde", "workers")}},
          {std::make_shared<const json>(rc)});
  for (size_t i = 0; i < f.port.requests.size(); ++i)
    if (f.port.requests[i].write.type.plural == "rayclusters") f.port.succeed(i, "12");
  f.advance(100ms);
  caf::anon_send(f.sup, actors::apply_atom::value, std::make_shared<const json>(rc));
  f.advance(100ms);
  f.advance(100ms);
  // One worker is wanted and the store already holds it: nothing is created, nothing read.
  CHECK(f.port.count("create", "pods") == 0);
  CHECK(f.port.count("get", "pods") == 0);
  CHECK(f.port.count("create", "services") == 2);
}

TEST_CASE(
    "actors: a crashing RayCluster actor restarts with a growing backoff, reset after it "
    "ran well",
    "[actors]") {
  supervisor_fixture f;
  f.lists({}, {std::make_shared<const json>(raycluster(true))});
  CHECK(f.restart_in() == 200ms);
  f.advance(200ms);
  CHECK(f.restart_in() == 400ms);
  f.advance(400ms);
  CHECK(f.restart_in() == 800ms);
  CHECK(f.restart_events() == 3);

  // The spec is fixed while it waits; the next incarnation runs well.
  caf::anon_send(f.sup, actors::apply_atom::value, std::make_shared<const json>(raycluster(false)));
  f.advance(800ms);
  CHECK(f.restart_in() > 800ms);  // the heartbeat, no restart pending
  f.advance(61s);                 // longer than the healthy period

  // It fails again: a fresh backoff, not the fourth step of the old one.
  caf::anon_send(f.sup, actors::apply_atom::value, std::make_shared<const json>(raycluster(true)));
  f.advance(60ms);
  CHECK(f.restart_in() == 200ms);
  CHECK(f.restart_events() == 4);
}
