#include "k8s/rate_limiter.hpp"

#include <algorithm>
#include <limits>

namespace k8s {

namespace {
int64_t nanoseconds_of(rate_limiter::clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}
}  // namespace

rate_limiter::rate_limiter(double qps, int burst)
    : qps_(qps),
      burst_(std::max(burst, 1)),
      interval_ns_(qps > 0 ? static_cast<int64_t>(1e9 / qps) : 0),
      tat_ns_(std::numeric_limits<int64_t>::min() / 2) {}

std::chrono::nanoseconds rate_limiter::reserve(clock::time_point now) {
  return take(now, false);
}

std::chrono::nanoseconds rate_limiter::try_acquire(clock::time_point now) {
  return take(now, true);
}

std::chrono::nanoseconds rate_limiter::take(clock::time_point now, bool only_if_free) {
  if (interval_ns_ == 0) return std::chrono::nanoseconds::zero();
  const int64_t now_ns = nanoseconds_of(now);
  const int64_t burst_window = interval_ns_ * burst_;
  int64_t tat = tat_ns_.load(std::memory_order_relaxed);
  int64_t next, wait;
  do {
    next = std::max(tat, now_ns) + interval_ns_;
    // The bucket holds `burst` tokens: a token is free until the debt exceeds that window.
    wait = std::max<int64_t>(0, next - now_ns - burst_window);
    if (wait > 0 && only_if_free) return std::chrono::nanoseconds(wait);
  } while (!tat_ns_.compare_exchange_weak(tat, next, std::memory_order_relaxed));
  return std::chrono::nanoseconds(wait);
}

}  // namespace k8s
