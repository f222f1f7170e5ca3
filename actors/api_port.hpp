#pragma once
// The narrow port between the actors and the world outside them: the API server's writes and
// reads, the monotonic clock, and each actor's wake-up timer. The actors decide; the port does.
// In the operator it is `k8s_port` (the k8s/ client and a timer thread); in the actor tests a
// scripted port that records every request and lets the test answer it and move time, so the
// actors run deterministically under CAF's test coordinator.
//
// Results come back as messages to the actor that asked, never as calls into it:
//   (written_atom, ticket, write_result)  after write(), read() or clean_redis()
//   (wake_atom, generation)               when the timer armed with that generation is due

#include <caf/all.hpp>
#include <chrono>
#include <string>

#include "actors/protocol.hpp"

namespace actors {

class api_port {
 public:
  using clock = std::chrono::steady_clock;
  virtual ~api_port() = default;

  // Sends a write. Exactly one result arrives for each ticket, within a bounded time.
  virtual void write(write_request request, caf::actor reply_to, uint64_t ticket) = 0;
  // Reads one object (a GET); the result names it, and reduces it when it is a child.
  virtual void read(const k8s::resource& type, const std::string& ns, const std::string& name,
                    caf::actor reply_to, uint64_t ticket) = 0;

  // Deletes a RayCluster's keys from Redis (its GCS state). The result's error is permanent
  // (k8s::error_kind::invalid: nothing will make it work) or not; when ok, `deleted` counts keys.
  virtual void clean_redis(redis_cleanup_request request, caf::actor reply_to, uint64_t ticket) = 0;

  virtual clock::time_point now() = 0;
  // Arms `who`'s one timer for `at`, replacing whatever was armed for it.
  virtual void wake_at(const caf::actor& who, clock::time_point at, uint64_t generation) = 0;
  // `who` has ended: its timer goes with it.
  virtual void forget(caf::actor_id who) = 0;
};

}  // namespace actors
