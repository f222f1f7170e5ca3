#pragma once
// The current time as Kubernetes writes timestamps (RFC 3339, UTC, whole seconds).

#include <chrono>
#include <ctime>
#include <iomanip>
#include <optional>
#include <sstream>
#include <string>

namespace actors {

inline std::string now_rfc3339() {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::ostringstream out;
  out << std::put_time(&tm, "%Y-%m-%dT%H:%M:%SZ");
  return out.str();
}

// How long ago a Kubernetes timestamp was (negative: in the future); nullopt when unparseable.
inline std::optional<std::chrono::seconds> seconds_since(const std::string& rfc3339) {
  std::tm tm{};
  if (!strptime(rfc3339.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm)) return std::nullopt;
  const std::time_t then = timegm(&tm);
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  return std::chrono::seconds(static_cast<int64_t>(now - then));
}

}  // namespace actors
