#pragma once
// An actor's single wake-up timer and its reconcile outcomes.
//
// A reconcile returns an outcome, as controller-runtime's and kube-rs's do: `done` (converged:
// look again after the resync period), `requeue_after(d)` (something is under way: look again
// then), or `failed(error)` (look again when the failed step may retry — its object's own
// backoff, which knows what failed and how often — or, for a failure that names no such time,
// after the actor's backoff, which grows with each failure in a row and resets on the next
// `done`). A trigger (a spec or child change) brings the wake-up
// forward: to now when the last reconcile is at least a debounce ago, else to a debounce after
// it, so a lone event is acted on at once and a burst of them costs a few reconciles, not one
// each. There is only ever one timer: arming replaces it, and a wake-up from a replaced one is
// recognised by its generation and ignored. A wake-up due at once needs no timer: it is a
// message the actor sends itself (generation 0), and the timer armed for later stays as it is.

#include <chrono>
#include <optional>
#include <string>

#include "actors/api_port.hpp"
#include "k8s/backoff.hpp"

namespace actors {

struct outcome {
  std::optional<std::string> error;  // set: the reconcile failed, and why
  // Failed: the failed step may retry then (its object's backoff); none: the actor's backoff.
  std::optional<std::chrono::milliseconds> retry;
  std::optional<std::chrono::milliseconds> requeue;  // asked to look again then
  // Done, but writes or expectations are outstanding: their deadlines (a reply overdue, a
  // write the watch never showed) are looked at by then, if no event comes first.
  std::optional<std::chrono::milliseconds> deadline;

  static outcome done() { return {}; }
  static outcome requeue_after(std::chrono::milliseconds d) { return {{}, {}, d, {}}; }
  static outcome failed(std::string why, std::chrono::milliseconds retry_after = {}) {
    outcome o{std::move(why), {}, {}, {}};
    if (retry_after.count() > 0) o.retry = retry_after;
    return o;
  }
  static outcome done_by(std::chrono::milliseconds d) { return {{}, {}, {}, d}; }
  bool is_done() const { return !error && !requeue; }
  // For metrics: "error", "requeue" or "success".
  const char* result() const { return error ? "error" : requeue ? "requeue" : "success"; }
  // Both steps' needs: any failure fails the whole, and the earliest times win.
  outcome& merge(const outcome& other);
};

struct wakeup_policy {
  std::chrono::milliseconds debounce{50};
  // A trigger that is no hurry (a pod's or a child's change seen, which mostly moves the
  // status) waits this long, so the events of one cluster that trickle in share a reconcile.
  std::chrono::milliseconds lazy{100};
  // ... and no sooner than this after the last reconcile: where a cluster's events trickle in
  // (many clusters changing at once), they share reconciles instead of each having its own.
  std::chrono::milliseconds lazy_gap{500};
  // While such events keep trickling in, the gap doubles after every reconcile they bring, up to
  // this: a cluster whose pods start one by one over tens of seconds (a thousand clusters
  // scaling at once) costs a few reconciles, not one per event. A whole gap without one, and
  // the next starts afresh at lazy_gap.
  std::chrono::milliseconds lazy_gap_max{2'000};
  std::chrono::milliseconds resync{300'000};
  k8s::backoff_policy failure_backoff{std::chrono::milliseconds(200),
                                      std::chrono::milliseconds(300'000)};
};

class wakeup {
 public:
  using time_point = api_port::clock::time_point;
  explicit wakeup(wakeup_policy policy = {})
      : policy_(policy), backoff_(policy.failure_backoff), gap_(policy.lazy_gap) {}

  enum class urgency { now, lazy };
  // Something changed: reconcile now (or a debounce after the last one), or, when it is no
  // hurry, after the lazy delay; unless a wake-up is due sooner anyway.
  void trigger(api_port& port, const caf::actor& self, urgency u = urgency::now);
  // A wake_atom arrived: whether it is the armed one (then nothing is armed any more).
  bool due(uint64_t generation);
  // After a reconcile: arms the one timer as the outcome asks. Returns when that is.
  time_point settle(api_port& port, const caf::actor& self, const outcome& o);

  std::optional<time_point> armed() const { return armed_; }
  int failures() const { return backoff_.attempts(); }

 private:
  void arm(api_port& port, const caf::actor& self, time_point at);

  wakeup_policy policy_;
  k8s::backoff backoff_;
  uint64_t generation_ = 0;  // of the armed timer; 0 is the wake-up sent at once
  std::optional<time_point> armed_;
  bool immediate_ = false;  // a wake-up sent at once is on its way
  time_point last_run_{};
  std::chrono::milliseconds gap_;  // the lazy gap now: lazy_gap, doubling while events trickle
  bool lazy_armed_ = false;        // the next reconcile is one a lazy trigger asked for
  time_point last_lazy_{};         // the last lazy trigger
};

}  // namespace actors
