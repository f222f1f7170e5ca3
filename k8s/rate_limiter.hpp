#pragma once
// Client-side flow control: a token bucket of `burst` tokens refilled at `qps` per second, the
// same model as client-go's (defaults 100/200, as KubeRay's operator uses). It is lock-free
// (GCRA: one atomic "theoretical arrival time"), so concurrent callers never queue on a mutex;
// a caller reserves a slot and is told how long to wait for it.

#include <atomic>
#include <chrono>
#include <cstdint>

namespace k8s {

class rate_limiter {
 public:
  using clock = std::chrono::steady_clock;
  static constexpr double default_qps = 100;
  static constexpr int default_burst = 200;

  // qps <= 0 disables limiting.
  explicit rate_limiter(double qps = default_qps, int burst = default_burst);

  // Takes one token and returns how long the caller must wait before using it (zero when a
  // token was available). Waits compound: the n-th caller beyond the burst waits n/qps.
  std::chrono::nanoseconds reserve(clock::time_point now = clock::now());
  // Takes a token only if one is there now: zero when it did, else how long until one will be
  // (and nothing is taken). For callers that keep their own queue and decide who goes next.
  std::chrono::nanoseconds try_acquire(clock::time_point now = clock::now());

  double qps() const { return qps_; }
  int burst() const { return burst_; }

 private:
  // Moves the theoretical arrival time on by one interval and returns the wait for that token;
  // with `only_if_free`, only when there is no wait (else it returns the wait, taking nothing).
  std::chrono::nanoseconds take(clock::time_point now, bool only_if_free);

  double qps_;
  int burst_;
  int64_t interval_ns_;
  std::atomic<int64_t> tat_ns_;  // theoretical arrival time, clock ticks in ns
};

}  // namespace k8s
