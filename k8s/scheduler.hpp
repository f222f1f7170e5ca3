#pragma once
// One timer thread shared by a client: rate-limiter waits, retry backoff and the like are
// scheduled here instead of sleeping on whatever thread happened to start the request.

#include <chrono>
#include <functional>
#include <memory>

namespace k8s {

class scheduler {
 public:
  scheduler();
  ~scheduler();  // runs nothing more; pending tasks are dropped
  scheduler(const scheduler&) = delete;
  scheduler& operator=(const scheduler&) = delete;

  // Stops the thread: tasks not yet run never run, and later posts are dropped. Idempotent.
  void shutdown();

  void post(std::function<void()> task);
  void post_after(std::chrono::nanoseconds delay, std::function<void()> task);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace k8s
