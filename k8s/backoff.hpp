#pragma once
// Exponential backoff with jitter, for retries and for re-establishing watches. Jitter spreads
// the retries of many clients (or many watches of one client) so they do not hit a recovering
// API server in lock-step.

#include <chrono>

namespace k8s {

struct backoff_policy {
  std::chrono::milliseconds initial{200};
  std::chrono::milliseconds max{30'000};
  double factor = 2.0;
  double jitter = 0.2;  // each delay is scaled by a random factor in [1 - jitter, 1 + jitter]
};

class backoff {
 public:
  explicit backoff(backoff_policy policy = {}) : policy_(policy) {}
  // The next delay: initial, initial*factor, ... capped at max, each jittered.
  std::chrono::milliseconds next();
  void reset() { attempt_ = 0; }
  int attempts() const { return attempt_; }

 private:
  backoff_policy policy_;
  int attempt_ = 0;
};

}  // namespace k8s
