#pragma once
// The operator's port: writes and reads go to the k8s/ client straight from the actor that
// makes them (no shared mailbox in between: creates of different clusters never queue behind
// one another), and results are decoded and reduced on the client's completion threads before
// they are sent back. Timers are the timer service's.

#include <atomic>
#include <chrono>
#include <list>
#include <memory>
#include <mutex>
#include <thread>

#include "actors/api_port.hpp"
#include "actors/timer_service.hpp"
#include "k8s/client.hpp"

namespace actors {

class k8s_port final : public api_port {
 public:
  // `events`, when given, sends the Events (see write()).
  explicit k8s_port(k8s::client& api, k8s::client* events = nullptr)
      : api_(api), events_(events ? *events : api) {}
  ~k8s_port() override;

  void write(write_request request, caf::actor reply_to, uint64_t ticket) override;
  void read(const k8s::resource& type, const std::string& ns, const std::string& name,
            caf::actor reply_to, uint64_t ticket) override;
  // On a thread of its own: the Secrets through the client, then Redis (actors/redis_keys.hpp).
  void clean_redis(redis_cleanup_request request, caf::actor reply_to, uint64_t ticket) override;
  clock::time_point now() override { return clock::now(); }
  void wake_at(const caf::actor& who, clock::time_point at, uint64_t generation) override;
  void forget(caf::actor_id who) override;

  // For /healthz: writes outstanding, and whether any of them has waited far longer than the
  // client allows (its callbacks stopped).
  int in_flight() const { return in_flight_; }
  bool stalled(clock::time_point now, std::chrono::seconds limit) const;
  uint64_t writes() const { return writes_; }

 private:
  void completed();

  k8s::client& api_;
  k8s::client& events_;
  timer_service timers_;
  std::atomic<int> in_flight_{0};
  std::atomic<uint64_t> writes_{0};
  std::atomic<int64_t> last_completion_ns_{0};
  std::atomic<int64_t> oldest_start_ns_{0};  // a start no completion has come after
  std::mutex cleanups_mutex_;  // Redis cleanups are rare: a plain list of their threads
  struct cleanup {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  std::list<cleanup> cleanups_;
};

// The result of a call, as an actor gets it: the object's identity, or the error.
write_result result_of(const k8s::result<nlohmann::json>& r);

}  // namespace actors
