#pragma once
// What deleting a RayCluster whose GCS keeps its state in Redis must clean up, and where: the
// keys of the cluster's storage namespace, which Ray lays out as one hash per GCS table under
// `RAY<namespace>@<TABLE>` (Ray's own `cleanup_redis_storage` deletes exactly `RAY<namespace>@*`).
// The operator deletes them itself before it lets the RayCluster go (a finalizer); these are
// the pure parts: whether a cluster needs it, the address and credentials as its head's env
// gives them, the key pattern, and the time the finalizer may hold the deletion up.

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <variant>

namespace ray {

constexpr const char* finalizer_redis_cleanup = "ray.io/gcs-ft-redis-cleanup-finalizer";
// KubeRay's: how long the finalizer may hold a deletion up before it is removed regardless.
constexpr const char* annotation_gcs_ft_deletion_timeout = "ray.io/gcs-ft-deletion-timeout";
constexpr std::chrono::seconds default_gcs_ft_deletion_timeout{300};

// A value as a container's env gives it: a literal, or a key of a Secret in the cluster's
// namespace.
struct value_source {
  std::string value;
  std::string secret;  // non-empty: read `key` of this Secret
  std::string key;
  bool from_secret() const { return !secret.empty(); }
  bool operator==(const value_source& o) const {
    return value == o.value && secret == o.secret && key == o.key;
  }
};

struct redis_cleanup_plan {
  value_source address;  // RAY_REDIS_ADDRESS
  value_source username;
  value_source password;
  std::string storage_namespace;
  std::string key_pattern;  // for SCAN MATCH: RAY<namespace, glob-escaped>@*
};

// GCS fault tolerance with the Redis backend (not RocksDB): the cluster's state outlives its
// head in Redis, so deleting the cluster must delete it.
bool keeps_state_in_redis(const nlohmann::json& cluster);

// From with_defaults() output: the address, credentials and namespace the head's Ray container
// is given (so the options form and the older annotation form read alike), or why they cannot
// be told.
std::variant<redis_cleanup_plan, std::string> plan_redis_cleanup(const nlohmann::json& defaulted);

struct redis_endpoint {
  std::string host;
  int port = 6379;
  std::string username;
  std::string password;
  bool tls = false;  // rediss://
};

// RAY_REDIS_ADDRESS as Ray reads it: its first comma-separated entry, `host:port` or a
// redis:// / rediss:// URL with optional user and password (which the separate username and
// password, when given, override). An error text when it cannot be parsed.
std::variant<redis_endpoint, std::string> parse_redis_address(std::string_view address);

// ray.io/gcs-ft-deletion-timeout: whole seconds ("300") or a duration of h/m/s parts ("5m",
// "1h30m", "90s"); the default when absent; an error text when it is neither.
std::variant<std::chrono::seconds, std::string> gcs_ft_deletion_timeout(
    const nlohmann::json& cluster);

// `text` with Redis's glob characters (* ? [ ] \) escaped, to match literally.
std::string redis_glob_escape(std::string_view text);

}  // namespace ray
