#pragma once
// One timer per actor, on one thread: arming an actor's timer replaces the one armed before (a
// real cancellation, which CAF 0.17's delayed messages lack), and when it expires the actor is
// sent (wake_atom, generation). Actors are held weakly: a timer never keeps one alive.

#include <caf/all.hpp>
#include <chrono>
#include <memory>

namespace actors {

class timer_service {
 public:
  timer_service();
  ~timer_service();  // stops the thread; nothing armed fires any more
  timer_service(const timer_service&) = delete;
  timer_service& operator=(const timer_service&) = delete;

  void arm(const caf::actor& who, std::chrono::steady_clock::time_point at, uint64_t generation);
  void forget(caf::actor_id who);
  size_t armed() const;  // timers currently armed (for tests and metrics)

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace actors
