#include "k8s/rate_limiter.hpp"

#include <algorithm>
#include <limits>

namespace k8s {

rate_limiter::rate_limiter(double qps, int burst)
    : qps_(qps),
      burst_(std::max(burst, 1)),
      interval_ns_(qps > 0 ? static_cast<int64_t>(1e9 / qps) : 0),
      tat_ns_(std::numeric_limits<int64_t>::min() / 2) {}

std::chrono::nanoseconds rate_limiter::reserve(clock::time_point now) {
  if (interval_ns_ == 0) return std::chrono::nanoseconds::zero();
  const int64_t now_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count();
  const int64_t burst_window = interval_ns_ * burst_;
  int64_t tat = tat_ns_.load(std::memory_order_relaxed);
  int64_t next;
  do {
    next = std::max(tat, now_ns) + interval_ns_;
  } while (!tat_ns_.compare_exchange_weak(tat, next, std::memory_order_relaxed));
  // The bucket holds `burst` tokens: a reservation is free until the debt exceeds that window.
  return std::chrono::nanoseconds(std::max<int64_t>(0, next - now_ns - burst_window));
}

}  // namespace k8s
