#include "k8s/backoff.hpp"

#include <algorithm>
#include <cmath>
#include <random>

namespace k8s {

std::chrono::milliseconds backoff::next() {
  const double base = static_cast<double>(policy_.initial.count()) *
                      std::pow(policy_.factor, static_cast<double>(attempt_));
  const double capped = std::min(base, static_cast<double>(policy_.max.count()));
  ++attempt_;
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::uniform_real_distribution<double> spread(1.0 - policy_.jitter, 1.0 + policy_.jitter);
  const double jittered = policy_.jitter > 0 ? capped * spread(rng) : capped;
  return std::chrono::milliseconds(static_cast<int64_t>(std::max(0.0, jittered)));
}

}  // namespace k8s
