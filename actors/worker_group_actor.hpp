#pragma once
// The pods of one worker group. It creates missing pods (concurrently, with a bound), deletes
// exactly the pods the autoscaler names, replaces failed pods, and — only with autoscaling off —
// removes surplus pods, least useful first. "Expectations" remember creates and deletes in
// flight until the watch shows them, so a stale view never causes a double create or a
// replacement for a pod just deleted on request.

#include "actors/protocol.hpp"

namespace actors {

struct worker_group_options {
  size_t max_concurrent_creates = 32;
  std::chrono::seconds create_expectation_timeout{30};
};

worker_group_actor spawn_worker_group(caf::local_actor* parent, api_writer_actor writer,
                                      std::string group, worker_group_options options = {});

}  // namespace actors
