// The pieces the actors decide with, on their own: the write ledger, the event recorder, pod
// expectations and reconcile outcomes.

#include <catch2/catch.hpp>

#include "actors/event_recorder.hpp"
#include "actors/pod_expectations.hpp"
#include "actors/wakeup.hpp"
#include "actors/write_ledger.hpp"
#include "test/actors/actor_fixture.hpp"

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

namespace {

const clock_type::time_point t0 = clock_type::time_point(std::chrono::hours(1));

actors::ledger_policy no_jitter() {
  actors::ledger_policy p;
  p.retry.jitter = 0;
  return p;
}

k8s::api_error invalid() {
  return k8s::api_error(k8s::error_kind::invalid, "spec.ports: Invalid value", 422, "Invalid");
}

}  // namespace

TEST_CASE("ledger: a write in flight or not yet seen is not repeated") {
  actors::write_ledger l(no_jitter());
  CHECK(l.may_write("Service/a", t0));
  l.begin("Service/a", 1, t0, "create");
  CHECK_FALSE(l.may_write("Service/a", t0));
  CHECK(l.in_flight("Service/a"));
  l.succeeded(1, "42", t0);
  CHECK(l.settling("Service/a"));
  CHECK_FALSE(l.may_write("Service/a", t0));
  l.observed("Service/a", "41");  // an older event still on its way
  CHECK(l.settling("Service/a"));
  l.observed("Service/a", "42");
  CHECK(l.may_write("Service/a", t0));
}

TEST_CASE("ledger: a write the watch showed before its reply came is settled by the reply") {
  actors::write_ledger l(no_jitter());
  l.begin("Certificate/c-worker", 1, t0, "patch");
  l.observed("Certificate/c-worker", "41");  // the watch is first
  l.succeeded(1, "41", t0);
  CHECK_FALSE(l.settling("Certificate/c-worker"));
  CHECK(l.may_write("Certificate/c-worker", t0));
  // Another version seen meanwhile is not this write's.
  l.begin("Certificate/c-worker", 2, t0, "patch");
  l.observed("Certificate/c-worker", "42");
  l.succeeded(2, "43", t0);
  CHECK(l.settling("Certificate/c-worker"));
}

TEST_CASE("ledger: failures back off per object, doubling, and a success resets them") {
  actors::write_ledger l(no_jitter());
  CHECK(l.failed(0, invalid(), t0) == t0);  // an unknown ticket changes nothing
  l.begin("Service/a", 1, t0);
  CHECK(l.failed(1, invalid(), t0) == t0 + 1s);
  CHECK_FALSE(l.may_write("Service/a", t0 + 500ms));
  CHECK(l.may_write("Service/b", t0));  // another object is not held up
  REQUIRE(l.failure("Service/a"));
  CHECK(l.failure("Service/a")->http_code() == 422);
  l.begin("Service/a", 2, t0 + 1s);
  CHECK(l.failed(2, invalid(), t0 + 1s) == t0 + 3s);
  l.begin("Service/a", 3, t0 + 3s);
  CHECK(l.failed(3, invalid(), t0 + 3s) == t0 + 7s);
  CHECK(l.next_due() == t0 + 7s);
  l.begin("Service/a", 4, t0 + 7s);
  l.succeeded(4, "9", t0 + 7s);
  CHECK(l.failure("Service/a") == nullptr);
  l.observed("Service/a", "9");
  l.begin("Service/a", 5, t0 + 8s);
  CHECK(l.failed(5, invalid(), t0 + 8s) == t0 + 9s);  // back to the first step
}

TEST_CASE(
    "ledger: after the server was unavailable, an object is tried again within 3 s, however "
    "often") {
  actors::write_ledger l(no_jitter());
  const k8s::api_error unavailable(k8s::error_kind::server_error, "ServiceUnavailable", 503,
                                   "ServiceUnavailable");
  auto at = t0;
  for (uint64_t ticket = 1; ticket <= 10; ++ticket) {
    l.begin("Service/a", ticket, at);
    const auto due = l.failed(ticket, unavailable, at);
    CHECK(due - at <= 3s);
    at = due;
  }
  // A refusal of the request itself still backs off for minutes after as many failures.
  l.begin("Service/b", 11, t0);
  auto due = l.failed(11, invalid(), t0);
  for (uint64_t ticket = 12; ticket <= 20; ++ticket) {
    l.begin("Service/b", ticket, due);
    due = l.failed(ticket, invalid(), due);
  }
  l.begin("Service/b", 21, due);
  CHECK(l.failed(21, invalid(), due) - due >= 60s);
}

TEST_CASE("api error: unavailable means 429, 503, 504, timeouts and failed connections") {
  using k8s::api_error;
  using k8s::error_kind;
  CHECK(api_error(error_kind::too_many_requests, "", 429).unavailable());
  CHECK(api_error(error_kind::server_error, "", 503).unavailable());
  CHECK(api_error(error_kind::server_error, "", 504).unavailable());
  CHECK(api_error(error_kind::timeout, "").unavailable());
  CHECK(api_error(error_kind::transport, "").unavailable());
  CHECK_FALSE(
      api_error(error_kind::server_error, "failed to allocate a serviceIP", 500).unavailable());
  CHECK_FALSE(api_error(error_kind::forbidden, "exceeded quota", 403).unavailable());
  CHECK_FALSE(api_error(error_kind::invalid, "", 422).unavailable());
}

TEST_CASE("ledger: a reply that never comes becomes a failure at its deadline") {
  actors::ledger_policy p = no_jitter();
  p.reply_timeout = 10s;
  actors::write_ledger l(p);
  l.begin("status", 7, t0);
  CHECK(l.next_due() == t0 + 10s);
  l.expire(t0 + 9s);
  CHECK(l.in_flight("status"));
  l.expire(t0 + 10s);
  CHECK_FALSE(l.in_flight("status"));
  REQUIRE(l.failure("status"));
  CHECK(l.failure("status")->kind() == k8s::error_kind::timeout);
  CHECK_FALSE(l.key_of(7));  // a late reply is not taken for a new write's
}

TEST_CASE("ledger: a write the watch never shows is forgotten after the settle timeout") {
  actors::ledger_policy p = no_jitter();
  p.settle_timeout = 30s;
  actors::write_ledger l(p);
  l.begin("Service/a", 1, t0);
  l.succeeded(1, "5", t0);
  l.expire(t0 + 29s);
  CHECK(l.settling("Service/a"));
  l.expire(t0 + 30s);
  CHECK(l.may_write("Service/a", t0 + 30s));
}

TEST_CASE("event recorder: the same Event again is a patch of its count, not a new Event") {
  actors::event_recorder r;
  const nlohmann::json involved{
      {"kind", "RayCluster"}, {"name", "c"}, {"namespace", "ns"}, {"uid", "u1"}};
  auto first = r.record(involved, "Warning", "FailedToCreateService", "range is full", t0, "T1");
  REQUIRE(first);
  CHECK(first->verb == "create");
  CHECK(first->body["count"] == 1);
  CHECK(first->body["involvedObject"]["uid"] == "u1");
  CHECK_FALSE(r.answered(*first, nullptr));  // created; nothing repeated meanwhile
  auto second = r.record(involved, "Warning", "FailedToCreateService", "range is full", t0, "T2");
  REQUIRE(second);
  CHECK(second->verb == "patch");
  CHECK(second->name == first->name);
  CHECK(second->body ==
        nlohmann::json{{"count", 2}, {"lastTimestamp", "T2"}, {"message", "range is full"}});
  CHECK_FALSE(r.answered(*second, nullptr));
  // A Warning whose details drift is still the one problem: the same Event, newest message.
  auto drifted = r.record(involved, "Warning", "FailedToCreateService", "quota", t0, "T3");
  REQUIRE(drifted);
  CHECK(drifted->verb == "patch");
  CHECK(drifted->body ==
        nlohmann::json{{"count", 3}, {"lastTimestamp", "T3"}, {"message", "quota"}});
  CHECK_FALSE(r.answered(*drifted, nullptr));
  auto other = r.record(involved, "Warning", "FailedToUpdateService", "quota", t0, "T3");
  REQUIRE(other);
  CHECK(other->verb == "create");
  // Normal Events say what happened to which object: each message is its own Event.
  auto made = r.record(involved, "Normal", "CreatedWorkerPod", "Created worker Pod a", t0, "T3");
  auto made_too =
      r.record(involved, "Normal", "CreatedWorkerPod", "Created worker Pod b", t0, "T3");
  REQUIRE((made && made_too));
  CHECK(made_too->verb == "create");
  // The Event expired meanwhile: the next repeat creates a new one.
  auto expired = r.record(involved, "Warning", "FailedToCreateService", "range is full", t0, "T4");
  REQUIRE(expired);
  const k8s::api_error gone(k8s::error_kind::not_found, "gone", 404, "NotFound");
  CHECK_FALSE(r.answered(*expired, &gone));
  auto again = r.record(involved, "Warning", "FailedToCreateService", "range is full", t0, "T5");
  REQUIRE(again);
  CHECK(again->verb == "create");
}

TEST_CASE("event recorder: repeats while a write is in flight wait for it, then go as one patch") {
  actors::event_recorder r;
  const nlohmann::json involved{{"name", "c"}, {"namespace", "ns"}, {"uid", "u1"}};
  auto create = r.record(involved, "Warning", "FailedToCreateWorkerPod", "quota", t0, "T1");
  REQUIRE(create);
  // Sent before the create is done, a patch would find no Event: none is sent yet.
  CHECK_FALSE(r.record(involved, "Warning", "FailedToCreateWorkerPod", "quota", t0, "T2"));
  CHECK_FALSE(r.record(involved, "Warning", "FailedToCreateWorkerPod", "quota", t0, "T3"));
  auto patch = r.answered(*create, nullptr);
  REQUIRE(patch);
  CHECK(patch->verb == "patch");
  CHECK(patch->name == create->name);
  CHECK(patch->body["count"] == 3);
  CHECK(patch->body["lastTimestamp"] == "T3");
  CHECK_FALSE(r.answered(*patch, nullptr));
  // A create that failed leaves nothing to patch: the next repeat creates again.
  const k8s::api_error refused(k8s::error_kind::forbidden, "no", 403, "Forbidden");
  auto other = r.record(involved, "Warning", "ReconcilerRestarted", "x", t0, "T4");
  REQUIRE(other);
  CHECK_FALSE(r.answered(*other, &refused));
  auto retry = r.record(involved, "Warning", "ReconcilerRestarted", "x", t0, "T5");
  REQUIRE(retry);
  CHECK(retry->verb == "create");
}

TEST_CASE("event recorder: each object gets 25 Events, then one per 5 minutes") {
  actors::event_recorder r;
  const nlohmann::json a{{"name", "a"}, {"namespace", "ns"}, {"uid", "ua"}};
  const nlohmann::json b{{"name", "b"}, {"namespace", "ns"}, {"uid", "ub"}};
  int written = 0;
  for (int i = 0; i < 40; ++i)
    written +=
        r.record(a, "Normal", "CreatedWorkerPod", "pod " + std::to_string(i), t0, "T").has_value();
  CHECK(written == 25);
  CHECK(r.record(b, "Normal", "CreatedWorkerPod", "pod", t0, "T"));  // its own budget
  CHECK_FALSE(r.record(a, "Normal", "CreatedWorkerPod", "late", t0 + 299s, "T"));
  CHECK(r.record(a, "Normal", "CreatedWorkerPod", "later", t0 + 301s, "T"));
}

TEST_CASE("pod expectations: a pod counts from its create until the watch shows it") {
  actors::pod_expectations e(60s);
  e.create_sent("p1", t0);
  e.create_sent("p2", t0);
  CHECK(e.expected_pods() == 2);
  CHECK(e.in_flight() == 2);
  e.observed("p1");  // the watch before the reply
  e.create_succeeded("p1", t0);
  CHECK(e.expected_pods() == 1);
  e.create_succeeded("p2", t0);
  CHECK(e.in_flight() == 0);
  CHECK_FALSE(e.creates_settled());
  e.expire(t0 + 59s);
  CHECK(e.expected_pods() == 1);
  e.expire(t0 + 60s);  // never seen: someone deleted it before the watch showed it
  CHECK(e.creates_settled());
}

TEST_CASE("pod expectations: an unsure create stays until the watch or a read settles it") {
  actors::pod_expectations e(60s);
  e.create_sent("p1", t0);
  e.create_unsure("p1", t0);
  e.expire(t0 + 3600s);
  CHECK(e.expected_pods() == 1);
  CHECK(e.unsure() == std::vector<std::string>{"p1"});
  e.create_refused("p1");  // a read found no such pod
  CHECK(e.creates_settled());
}

TEST_CASE("pod expectations: a delete is expected until the pod is seen going") {
  actors::pod_expectations e(60s);
  e.delete_sent("p1", t0);
  CHECK(e.deleting("p1"));
  e.delete_done("p1");
  CHECK_FALSE(e.deleting("p1"));
}

TEST_CASE("outcome: failures win, and the earliest time of each kind") {
  auto o = actors::outcome::done();
  CHECK(o.is_done());
  o.merge(actors::outcome::done_by(5s));
  CHECK(o.is_done());
  CHECK(std::string(o.result()) == "success");
  o.merge(actors::outcome::requeue_after(3s)).merge(actors::outcome::requeue_after(2s));
  CHECK(std::string(o.result()) == "requeue");
  CHECK(*o.requeue == 2s);
  o.merge(actors::outcome::failed("a", 10s)).merge(actors::outcome::failed("b", 4s));
  CHECK(std::string(o.result()) == "error");
  CHECK(*o.error == "a; b");
  CHECK(*o.retry == 4s);
}

TEST_CASE("wake-up: a failure waits for its object's retry time, however many came before") {
  actor_test::actor_fixture f;
  auto target =
      f.sys.spawn([](int) { return caf::behavior{[](actors::wake_atom, uint64_t) {}}; }, 0);
  actors::wakeup w;
  auto& port = f.port;
  // Twenty failures in a row that name no time: the actor's own backoff grows long.
  const auto fail_at_the_wake_up = [&](const actors::outcome& o) {
    const auto at = w.settle(port, target, o);
    port.now_ = at;
    REQUIRE(w.due(port.timers.at(target.id()).generation));
    return at;
  };
  auto before = port.now_;
  for (int i = 0; i < 20; ++i) {
    before = port.now_;
    fail_at_the_wake_up(actors::outcome::failed("no time given"));
  }
  CHECK(port.now_ - before > 60s);
  // A failure whose object may retry in 3 s (the server was unavailable): back in 3 s.
  before = port.now_;
  CHECK(fail_at_the_wake_up(actors::outcome::failed("503", 3s)) - before == 3s);
  caf::anon_send_exit(target, caf::exit_reason::user_shutdown);
}

TEST_CASE("wake-up: events that keep trickling in wait ever longer, up to a cap, then afresh") {
  actor_test::actor_fixture f;
  // An argument, so that CAF 0.17 keeps a tuple for it (an empty one is a null reference to
  // UndefinedBehaviorSanitizer).
  auto target =
      f.sys.spawn([](int) { return caf::behavior{[](actors::wake_atom, uint64_t) {}}; }, 0);
  const actors::wakeup_policy policy;
  actors::wakeup w(policy);
  auto& port = f.port;
  w.settle(port, target, actors::outcome::done());  // a reconcile just ran
  const auto lazily = actors::wakeup::urgency::lazy;
  // Lazy events keep coming, one just after each reconcile and one just before the next: the
  // wait from one reconcile to the next doubles from lazy_gap up to lazy_gap_max.
  std::vector<std::chrono::milliseconds> waits;
  for (int i = 0; i < 5; ++i) {
    const auto ran = port.now_;
    port.now_ += 10ms;
    w.trigger(port, target, lazily);
    REQUIRE(w.armed());
    waits.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(*w.armed() - ran));
    port.now_ = *w.armed() - 10ms;
    w.trigger(port, target, lazily);
    port.now_ = *w.armed();
    REQUIRE(w.due(port.timers.at(target.id()).generation));
    w.settle(port, target, actors::outcome::done());
  }
  CHECK(waits[0] == policy.lazy_gap);
  CHECK(waits[1] == 2 * policy.lazy_gap);
  CHECK(waits[2] == policy.lazy_gap_max);
  CHECK(waits[4] == policy.lazy_gap_max);
  // Quiet for longer than the gap: the next event waits only the lazy delay.
  port.now_ += policy.lazy_gap_max + 1ms;
  w.trigger(port, target, lazily);
  REQUIRE(w.armed());
  CHECK(*w.armed() - port.now_ == policy.lazy);
  caf::anon_send_exit(target, caf::exit_reason::user_shutdown);
}
