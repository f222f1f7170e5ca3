#pragma once
// Deletes keys of a Redis by pattern: the cleanup of a RayCluster's GCS state (see
// ray/redis_cleanup.hpp). hiredis, Debian's Redis client library, over a blocking connection
// with timeouts: it runs on a thread of its own, never on an actor's or the client's.

#include <chrono>
#include <cstdint>
#include <string>
#include <variant>

#include "ray/redis_cleanup.hpp"

namespace actors {

struct redis_failure {
  std::string message;
  bool retriable = true;  // false: trying again cannot help (e.g. TLS, which this build lacks)
};

// SCAN … MATCH `pattern` until the cursor is back at 0, DEL of what each step found; the number
// of keys deleted. Each connect, and each command, waits at most `timeout`.
std::variant<int64_t, redis_failure> delete_redis_keys(const ray::redis_endpoint& endpoint,
                                                       const std::string& pattern,
                                                       std::chrono::milliseconds timeout);

}  // namespace actors
