// A RayCluster actor (and the worker-group actors it spawns) under the test coordinator.

#include <catch2/catch.hpp>

#include "actors/observed_child.hpp"
#include "actors/raycluster_actor.hpp"
#include "test/actors/actor_fixture.hpp"

using namespace actor_test;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

json raycluster(const std::string& rv) {
  return raycluster_json(rv);
}

actors::child_ptr service(const std::string& name, const std::string& owner) {
  actors::observed_child c;
  c.kind = "Service";
  c.name = name;
  c.uid = "uid-" + name;
  c.resource_version = "5";
  c.owner_uid = owner;
  c.service.name = name;
  c.service.cluster_ip = "10.0.0.9";
  return std::make_shared<const actors::observed_child>(std::move(c));
}

struct cluster_fixture : actor_fixture {
  std::shared_ptr<int> healthy = std::make_shared<int>(0);
  caf::actor supervisor = sys.spawn(supervisor_stand_in, healthy);
  actors::raycluster_actor cluster;

  explicit cluster_fixture(std::vector<actors::child_ptr> children = {},
                           std::chrono::milliseconds status_interval = 0ms) {
    actors::raycluster_options options;
    options.status_interval = status_interval;
    options.wake.failure_backoff.jitter = 0;
    options.group.write_retry.jitter = 0;
    options.ledger.retry.jitter = 0;
    actors::cluster_seed seed{
        std::make_shared<const json>(raycluster("10")), {}, std::move(children)};
    cluster = actors::spawn_raycluster(self.ptr(), supervisor, {"ns", "c"}, 1, &port,
                                       std::move(seed), options);
    settle();
    // The defaults come first; the watch then shows the RayCluster as that write left it.
    auto defaults = port.find("patch", "rayclusters");
    REQUIRE(defaults.size() == 1);
    port.succeed(defaults[0], "11");
    settle();
    spec(raycluster("11"));
  }
  ~cluster_fixture() override { caf::anon_send_exit(cluster, caf::exit_reason::user_shutdown); }

  // The watch shows a child.
  void show(actors::child_ptr child) {
    caf::anon_send(cluster, actors::child_atom::value, actors::apply_atom::value, std::move(child));
  }
  // What the watch showed is acted on: it is no hurry (wakeup_policy::lazy, and a gap after the
  // last reconcile that grows while such changes keep coming, up to lazy_gap_max).
  void seen() {
    settle();
    advance(actors::wakeup_policy{}.lazy_gap_max);
  }
  void spec(json rc) {
    caf::anon_send(cluster, actors::spec_atom::value, std::make_shared<const json>(std::move(rc)));
    advance(100ms);
  }
  // Every write answered with success, the Events' included, until none is left.
  void succeed_all(const std::string& except_plural = "") {
    for (int round = 0; round < 20; ++round) {
      bool any = false;
      for (size_t i = 0; i < port.requests.size(); ++i) {
        auto& r = port.requests[i];
        if (r.answered || r.write.type.plural == except_plural) continue;
        port.succeed(i, "20" + std::to_string(i));
        any = true;
      }
      advance(100ms);
      if (!any) return;
    }
  }
  std::vector<json> events_with(const std::string& reason) const {
    std::vector<json> out;
    for (const auto& r : port.requests)
      if (r.write.type.plural == "events" &&
          (r.write.body.value("reason", "") == reason || r.write.reason == "event " + reason))
        out.push_back(json{{"verb", r.write.verb}, {"name", r.write.name}, {"body", r.write.body}});
    return out;
  }
  json last_status() const {
    for (auto it = port.requests.rbegin(); it != port.requests.rend(); ++it)
      if (it->write.type.plural == "rayclusters" && it->write.subresource == "status")
        return it->write.body["status"];
    return nullptr;
  }
  std::string condition(const std::string& type, const char* field = "status") const {
    for (auto it = port.requests.rbegin(); it != port.requests.rend(); ++it) {
      if (it->write.subresource != "status") continue;
      for (const auto& c : it->write.body["status"].value("conditions", json::array()))
        if (c.value("type", "") == type) return c.value(field, "");
    }
    return "";
  }
};

}  // namespace

TEST_CASE("actors: a child someone else owns is reported once, and the cluster is not Ready",
          "[actors]") {
  cluster_fixture f({service("c-head-svc", "uid-someone-else")});
  f.succeed_all("pods");
  // More reconciles: a worker pod shows up, time passes, the resync comes.
  caf::anon_send(f.cluster, actors::pod_atom::value, actors::apply_atom::value,
                 pod("c-workers-worker-x", "workers"));
  f.advance(100ms);
  f.advance(301s);
  f.succeed_all("pods");
  const auto reported = f.events_with("ChildNotOwned");
  REQUIRE(reported.size() == 1);
  CHECK(reported[0]["verb"] == "create");
  // The Service is never written: not created over, not patched.
  for (const auto& r : f.port.requests)
    if (r.write.type.plural == "services") CHECK(r.write.name != "c-head-svc");
  CHECK(f.condition("Ready") == "False");
  CHECK(f.condition("Ready", "reason") == "ChildrenMissing");
  CHECK(f.condition("ReplicaFailure", "reason") == "NotOwned");
}

TEST_CASE("actors: Ready waits for the head Service, its failure is a condition", "[actors]") {
  cluster_fixture f;
  auto services = f.port.find("create", "services");
  REQUIRE(services.size() == 2);
  for (auto i : services) {
    if (f.port.requests[i].write.name == "c-head-svc")
      f.port.fail(
          i, k8s::api_error(k8s::error_kind::server_error,
                            "failed to allocate a serviceIP: range is full", 500, "InternalError"));
    else
      f.port.succeed(i);
  }
  f.succeed_all("services");
  // The head pod and the worker run and are ready; the head Service still does not exist.
  caf::anon_send(f.cluster, actors::pod_atom::value, actors::apply_atom::value,
                 pod("c-head-0", "headgroup"));
  for (auto i : f.port.find("create", "pods", true)) {
    caf::anon_send(f.cluster, actors::pod_atom::value, actors::apply_atom::value,
                   pod(f.port.requests[i].write.name, "workers"));
  }
  f.advance(100ms);
  f.succeed_all("services");
  CHECK(f.condition("Ready") == "False");
  CHECK(f.condition("Ready", "reason") == "ChildrenMissing");
  CHECK(f.condition("ReplicaFailure", "reason") == "FailedCreateService");
  CHECK(f.condition("ReplicaFailure", "message").find("range is full") != std::string::npos);
  // Retried after its backoff, it is created, shows up, and the cluster becomes Ready.
  f.advance(2s);
  auto retried = f.port.find("create", "services");
  REQUIRE(retried.size() == 1);
  CHECK(f.port.requests[retried[0]].write.name == "c-head-svc");
  f.port.succeed(retried[0], "30");
  caf::anon_send(f.cluster, actors::child_atom::value, actors::apply_atom::value,
                 service("c-head-svc", "uid-c"));
  f.advance(100ms);
  f.succeed_all();
  CHECK(f.condition("Ready") == "True");
}

TEST_CASE("actors: a pod create failing three times backs off and makes one aggregated Event",
          "[actors]") {
  cluster_fixture f;
  f.succeed_all("pods");
  std::vector<std::chrono::milliseconds> waited;
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto creates = f.port.find("create", "pods");
    REQUIRE(creates.size() == 1);
    f.port.fail(creates[0], forbidden("exceeded quota: compute-resources"));
    f.succeed_all("pods");
    // Time moves on in small steps until the group tries again.
    std::chrono::milliseconds waited_now{0};
    while (f.port.find("create", "pods").empty() && waited_now < 60s) {
      f.advance(100ms);
      waited_now += 100ms;
    }
    waited.push_back(waited_now);
  }
  CHECK(waited[0] < waited[1]);
  CHECK(waited[1] < waited[2]);
  f.succeed_all("pods");
  const auto failures = f.events_with("FailedToCreateWorkerPod");
  REQUIRE(failures.size() == 3);
  CHECK(failures[0]["verb"] == "create");
  CHECK(failures[1]["verb"] == "patch");
  CHECK(failures[2]["verb"] == "patch");
  CHECK(failures[1]["name"] == failures[0]["name"]);
  CHECK(failures[2]["name"] == failures[0]["name"]);
  CHECK(failures[2]["body"]["count"] == 3);
  CHECK(f.condition("ReplicaFailure", "reason") == "FailedCreateWorkerPod");
  CHECK(f.port.count("create", "pods") == 4);
}

TEST_CASE("actors: the status changes of a burst of pod events go out in few writes", "[actors]") {
  cluster_fixture f({}, 1000ms);
  f.succeed_all();
  const auto status_writes = [&] {
    size_t n = 0;
    for (const auto& r : f.port.requests) n += r.write.subresource == "status";
    return n;
  };
  const size_t before = status_writes();
  // The head, then five workers one after another, each becoming ready 100 ms apart.
  caf::anon_send(f.cluster, actors::pod_atom::value, actors::apply_atom::value,
                 pod("c-head-0", "headgroup"));
  // A fast API server: every write is answered at once.
  const auto answer_now = [&] {
    for (size_t i = 0; i < f.port.requests.size(); ++i)
      if (!f.port.requests[i].answered) f.port.succeed(i, "30" + std::to_string(i));
    f.settle();
  };
  for (int i = 0; i < 5; ++i) {
    caf::anon_send(f.cluster, actors::pod_atom::value, actors::apply_atom::value,
                   pod("c-workers-worker-" + std::to_string(i), "workers"));
    for (int step = 0; step < 4; ++step) {
      f.advance(25ms);
      answer_now();
    }
  }
  f.succeed_all();
  f.advance(1100ms);
  f.succeed_all();
  const size_t writes = status_writes() - before;
  INFO(writes << " status writes for 6 pod changes");
  CHECK(writes >= 1);
  CHECK(writes <= 2);
  // What was written last is the whole truth: 6 pods seen, the head among them.
  const auto status = f.last_status();
  REQUIRE(status.is_object());
  CHECK(status.value("availableWorkerReplicas", -1) == 5);
}

TEST_CASE("actors: a status that keeps changing is written ever less often, up to 4 s apart",
          "[actors]") {
  cluster_fixture f({}, 1000ms);
  f.succeed_all();
  std::vector<actors::api_port::clock::time_point> written;
  size_t seen = f.port.requests.size();
  const auto collect = [&] {  // status writes made so far, answered at once
    f.settle();
    for (; seen < f.port.requests.size(); ++seen)
      if (f.port.requests[seen].write.subresource == "status") {
        written.push_back(f.port.now_);
        f.port.succeed(seen, "50" + std::to_string(seen));
      }
    f.settle();
  };
  const auto head_at = [&](int n) {
    ray::observed_pod p = *pod("c-head-0", "headgroup");
    p.pod_ip = "10.0.0." + std::to_string(n);  // status.head.podIP: a change, and no turn
    caf::anon_send(f.cluster, actors::pod_atom::value, actors::apply_atom::value,
                   std::make_shared<const ray::observed_pod>(std::move(p)));
    collect();
  };
  // A change every 100 ms for 20 s: a fixed 1 s interval would write 20 times.
  for (int n = 1; n <= 200; ++n) {
    head_at(n);
    f.advance(100ms);
    collect();
  }
  INFO(written.size() << " status writes in 20 s of changes");
  CHECK(written.size() >= 5);
  CHECK(written.size() <= 9);
  for (size_t i = 1; i < written.size(); ++i) {
    CHECK(written[i] - written[i - 1] >= 1000ms);
    CHECK(written[i] - written[i - 1] <= 4100ms);
  }
  // Quiet for longer than the interval: the next change goes out as soon as it is seen.
  f.advance(4100ms);  // the last changes' flush
  collect();
  f.advance(5s);
  collect();
  const size_t before = written.size();
  head_at(201);
  f.advance(actors::wakeup_policy{}.lazy_gap);
  collect();
  CHECK(written.size() == before + 1);
}

TEST_CASE(
    "actors: once the changes stop, a held status goes out a quiet second later, not at the "
    "interval's end",
    "[actors]") {
  cluster_fixture f({}, 1000ms);
  f.succeed_all();
  std::vector<actors::api_port::clock::time_point> written;
  size_t seen = f.port.requests.size();
  const auto collect = [&] {
    f.settle();
    for (; seen < f.port.requests.size(); ++seen)
      if (f.port.requests[seen].write.subresource == "status") {
        written.push_back(f.port.now_);
        f.port.succeed(seen, "60" + std::to_string(seen));
      }
    f.settle();
  };
  int n = 0;
  const auto change = [&] {
    ray::observed_pod p = *pod("c-head-0", "headgroup");
    p.pod_ip = "10.0.1." + std::to_string(++n);
    caf::anon_send(f.cluster, actors::pod_atom::value, actors::apply_atom::value,
                   std::make_shared<const ray::observed_pod>(std::move(p)));
    collect();
  };
  // Changes every 100 ms for 10 s: the interval has grown to its 4 s.
  for (int i = 0; i < 100; ++i) {
    change();
    f.advance(100ms);
    collect();
  }
  REQUIRE(written.size() >= 3);
  CHECK(written.back() - written[written.size() - 2] > 3000ms);
  // Up to a write, and one change just after it: the interval would hold that change ~4 s.
  for (const size_t writes = written.size(); written.size() == writes;) {
    change();
    f.advance(100ms);
    collect();
  }
  change();
  const auto last_change = f.port.now_;
  // The changes stop: the last one is written once a reconcile has seen it (the lazy gap, at
  // most 2 s) and a quiet second has passed — not when the 4 s interval ends.
  const size_t before = written.size();
  for (int i = 0; i < 60; ++i) {
    f.advance(100ms);
    collect();
  }
  REQUIRE(written.size() == before + 1);
  INFO("written " << (written.back() - last_change).count() << " after the last change");
  CHECK(written.back() - last_change <= 3200ms);
  const auto status = f.last_status();
  CHECK(status["head"].value("podIP", "") == "10.0.1." + std::to_string(n));
}

namespace {

// What the watch shows of a worker Deployment the actor created.
actors::child_ptr deployment(const json& created, int64_t replicas, const std::string& rv) {
  actors::observed_child c = actors::reduce_child(created);
  c.uid = "uid-deployment";
  c.resource_version = rv;
  c.owner_uid = "uid-c";
  c.replicas = replicas;
  return std::make_shared<const actors::observed_child>(std::move(c));
}

// The fixture's RayCluster as its defaults write left it, with a Deployment group.
json deployment_group(const cluster_fixture& f, bool hpa) {
  json rc = raycluster("12");
  rc.merge_patch(f.port.requests[f.port.find("patch", "rayclusters", true).at(0)].write.body);
  rc["metadata"]["resourceVersion"] = "12";
  auto& group = rc["spec"]["workerGroupSpecs"][0];
  group["workloadKind"] = "Deployment";
  group["minReplicas"] = 1;
  if (hpa) group["horizontalPodAutoscaler"] = json::object();
  rc["metadata"]["generation"] = 2;
  return rc;
}

}  // namespace

TEST_CASE("actors: kubectl scale on a group the operator scales is undone", "[actors]") {
  cluster_fixture f;
  f.spec(deployment_group(f, false));
  f.succeed_all("deployments");
  auto created = f.port.find("create", "deployments");
  REQUIRE(created.size() == 1);
  const json body = f.port.requests[created[0]].write.body;
  CHECK(body["spec"]["replicas"] == 1);
  f.port.succeed(created[0], "40");
  f.show(deployment(body, 1, "40"));
  f.seen();
  CHECK(f.port.count("patch", "deployments") == 0);  // as wanted: nothing to write

  f.show(deployment(body, 4, "41"));
  f.seen();
  auto patches = f.port.find("patch", "deployments");
  REQUIRE(patches.size() == 1);
  CHECK(f.port.requests[patches[0]].write.body["spec"]["replicas"] == 1);
  CHECK(f.port.requests[patches[0]].write.reason == "its replicas are 4, not 1");
}

TEST_CASE("actors: an HPA group's replicas are the HPA's, raised only from 0", "[actors]") {
  cluster_fixture f;
  f.spec(deployment_group(f, true));
  f.succeed_all("deployments");
  auto hpa = f.port.find("create", "horizontalpodautoscalers", true);
  REQUIRE(hpa.size() == 1);
  CHECK(f.port.requests[hpa[0]].write.type.api_version() == "autoscaling/v2");
  CHECK(f.port.requests[hpa[0]].write.body["spec"]["minReplicas"] == 1);
  CHECK(f.port.requests[hpa[0]].write.body["spec"]["maxReplicas"] == 5);
  auto created = f.port.find("create", "deployments");
  REQUIRE(created.size() == 1);
  const json body = f.port.requests[created[0]].write.body;
  f.port.succeed(created[0], "40");

  // The HPA scales it to 3, then 5: the operator writes nothing, and wants what it has.
  f.show(deployment(body, 1, "40"));
  f.show(deployment(body, 3, "41"));
  f.seen();
  f.show(deployment(body, 5, "42"));
  f.advance(2s);
  f.succeed_all();
  CHECK(f.port.count("patch", "deployments") == 0);
  CHECK(f.last_status()["workerGroups"][0]["desiredReplicas"] == 5);

  // At 0 an HPA does nothing: the operator raises it to the HPA's minimum.
  f.show(deployment(body, 0, "43"));
  f.seen();
  auto patches = f.port.find("patch", "deployments");
  REQUIRE(patches.size() == 1);
  CHECK(f.port.requests[patches[0]].write.body["spec"]["replicas"] == 1);
}

TEST_CASE(
    "actors: a field that asks for nothing on its own is one Warning, and the cluster still runs",
    "[actors]") {
  cluster_fixture f;
  f.succeed_all();
  json rc = deployment_group(f, false);
  rc["spec"]["workerGroupSpecs"][0].erase("workloadKind");
  rc["spec"]["headGroupSpec"]["ingressOptions"] = {{"host", "ray.example.com"}};
  f.spec(rc);
  f.succeed_all();
  rc["metadata"]["resourceVersion"] = "13";  // a status write coming back: nothing new
  f.spec(rc);
  f.succeed_all();
  const auto warned = f.events_with("UnsupportedField");
  REQUIRE(warned.size() == 1);
  CHECK(warned[0]["body"]["message"].get<std::string>().find("spec.headGroupSpec.ingressOptions") !=
        std::string::npos);
  CHECK(f.events_with("InvalidRayClusterSpec").empty());
  CHECK(f.port.count("create", "statefulsets") >= 1);  // the head is still made
}

TEST_CASE("actors: tlsOptions without cert-manager is refused, and nothing is written for it",
          "[actors]") {
  cluster_fixture f;
  f.succeed_all();
  json rc = raycluster_json("12");
  rc["metadata"]["generation"] = 2;
  rc["spec"]["tlsOptions"] = {{"enabled", true}};
  f.spec(rc);
  f.succeed_all();
  const auto refused = f.events_with("InvalidRayClusterSpec");
  REQUIRE(refused.size() == 1);
  CHECK(refused[0]["body"]["message"].get<std::string>().find("cert-manager") != std::string::npos);
  CHECK(f.port.count("create", "certificates") == 0);
  CHECK(f.port.count("patch", "statefulsets") == 0);  // the head stays as it was
}
