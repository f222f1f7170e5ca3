#pragma once
// The pods of one worker group. It creates missing pods (concurrently, with a bound), deletes
// exactly the pods the autoscaler names, replaces failed pods, and — only with autoscaling off —
// removes surplus pods, least useful first. Expectations (pod_expectations.hpp) make a stale
// view harmless; creates back off as one object and deletes per pod, with a slow start after a
// failure, so an overloaded API server sees fewer requests, not more. Events and the group's
// create failures go to its RayCluster actor, which records and reports them.

#include <chrono>

#include "actors/api_port.hpp"
#include "actors/protocol.hpp"
#include "actors/wakeup.hpp"

namespace actors {

struct worker_group_options {
  size_t max_concurrent_creates = 32;
  // A created pod the watch has not shown after this long was deleted by someone else.
  std::chrono::seconds expectation_timeout{60};
  k8s::backoff_policy write_retry{std::chrono::milliseconds(1'000),
                                  std::chrono::milliseconds(300'000)};
  wakeup_policy wake{std::chrono::milliseconds(20)};
};

// `cluster` is the RayCluster actor that owns the group (it receives the group's Events).
worker_group_actor spawn_worker_group(caf::local_actor* parent, caf::actor cluster, api_port* port,
                                      std::string group, worker_group_options options = {});

}  // namespace actors
