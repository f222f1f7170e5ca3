#pragma once
// The actors' port, scripted: every write and read is recorded for the test to inspect and
// answer, time stands still until the test moves it, and each actor's one timer is kept here so
// the test can see it and fire it. With CAF's test coordinator running the actors, a scenario
// plays out the same way every time.

#include <caf/all.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "actors/api_port.hpp"

namespace actor_test {

class scripted_port final : public actors::api_port {
 public:
  struct request {
    bool is_read = false;
    actors::write_request write;  // for a read: verb "get", type, ns and name
    caf::actor reply_to;
    uint64_t ticket = 0;
    bool answered = false;
    clock::time_point sent_at{};
  };
  struct timer {
    caf::actor who;
    clock::time_point at;
    uint64_t generation = 0;
  };

  void write(actors::write_request w, caf::actor reply_to, uint64_t ticket) override;
  void read(const k8s::resource& type, const std::string& ns, const std::string& name,
            caf::actor reply_to, uint64_t ticket) override;
  // Recorded as a request with verb "clean-redis", plural "redis", name the storage namespace
  // and body {pattern, address}.
  void clean_redis(actors::redis_cleanup_request r, caf::actor reply_to, uint64_t ticket) override;
  clock::time_point now() override { return now_; }
  void wake_at(const caf::actor& who, clock::time_point at, uint64_t generation) override;
  void forget(caf::actor_id who) override;

  // ---- for the test ----
  std::vector<request> requests;
  std::map<caf::actor_id, timer> timers;
  clock::time_point now_ = clock::time_point(std::chrono::hours(1));

  // Indexes of the requests matching: unanswered ones only unless `all`.
  std::vector<size_t> find(const std::string& verb, const std::string& plural,
                           bool all = false) const;
  size_t count(const std::string& verb, const std::string& plural) const {
    return find(verb, plural, true).size();
  }
  void answer(size_t index, actors::write_result result);
  // A success naming the object the request wrote.
  void succeed(size_t index, const std::string& resource_version = "1");
  void fail(size_t index, k8s::api_error error);
  // Timers due at or before `now_`, fired in time order (each sends its wake-up).
  size_t fire_due();
  std::optional<timer> timer_of(const caf::actor& who) const;

 private:
  uint64_t next_uid_ = 1;
};

}  // namespace actor_test
