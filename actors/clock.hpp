#pragma once
// The current time as Kubernetes writes timestamps (RFC 3339, UTC, whole seconds).

#include <chrono>
#include <ctime>
#include <iomanip>
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

}  // namespace actors
