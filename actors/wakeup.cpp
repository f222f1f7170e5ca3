#include "actors/wakeup.hpp"

#include <algorithm>

namespace actors {

namespace {

template <class T>
std::optional<T> earliest(const std::optional<T>& a, const std::optional<T>& b) {
  if (!a) return b;
  if (!b) return a;
  return std::min(*a, *b);
}

}  // namespace

outcome& outcome::merge(const outcome& other) {
  if (other.error) error = error ? *error + "; " + *other.error : *other.error;
  retry = earliest(retry, other.retry);
  requeue = earliest(requeue, other.requeue);
  deadline = earliest(deadline, other.deadline);
  return *this;
}

void wakeup::arm(api_port& port, const caf::actor& self, time_point at) {
  armed_ = at;
  port.wake_at(self, at, ++generation_);
}

void wakeup::trigger(api_port& port, const caf::actor& self, urgency u) {
  const time_point now = port.now();
  if (immediate_) return;  // a reconcile is on its way already
  if (u == urgency::lazy) {
    if (now >= last_lazy_ + gap_) gap_ = policy_.lazy_gap;  // quiet for a whole gap
    last_lazy_ = now;
    lazy_armed_ = true;
  }
  const time_point at = u == urgency::lazy ? std::max(now + policy_.lazy, last_run_ + gap_)
                                           : std::max(now, last_run_ + policy_.debounce);
  if (at <= now) {
    if (!immediate_) caf::anon_send(self, wake_atom::value, uint64_t{0});
    immediate_ = true;
    return;
  }
  if (!armed_ || *armed_ > at) arm(port, self, at);
}

bool wakeup::due(uint64_t generation) {
  if (generation == 0) {
    const bool pending = immediate_;
    immediate_ = false;
    return pending;
  }
  if (generation != generation_ || !armed_) return false;
  armed_.reset();
  return true;
}

wakeup::time_point wakeup::settle(api_port& port, const caf::actor& self, const outcome& o) {
  const time_point now = port.now();
  last_run_ = now;
  if (lazy_armed_) gap_ = std::min(gap_ * 2, std::max(policy_.lazy_gap, policy_.lazy_gap_max));
  lazy_armed_ = false;
  time_point at = now + policy_.resync;  // the safety net, whatever else is asked
  if (o.error) {
    // The failed step's own retry time: its object's backoff grows with that object's failures
    // (to minutes for a refusal, a few seconds while the server is unavailable), so that the
    // actor is back within seconds of a server's return. Without one, the actor's backoff.
    at = std::min(at, now + (o.retry ? *o.retry : backoff_.next()));
  } else {
    backoff_.reset();  // a reconcile without error forgets earlier failures
  }
  if (o.requeue) at = std::min(at, now + *o.requeue);
  if (o.deadline) at = std::min(at, now + *o.deadline);
  // Something during the reconcile already asked for a sooner wake-up.
  if (armed_ && *armed_ <= at) return *armed_;
  arm(port, self, at);
  return at;
}

}  // namespace actors
