#include "sandbox/kubelet_sim/addressing.hpp"

#include <cstdio>
#include <ctime>

namespace kubelet_sim {

namespace {

// Host parts 1..254 of each /24, in 10.244.0.0 .. 10.255.255.254.
constexpr uint64_t hosts_per_24 = 254;
constexpr uint64_t per_second_octet = hosts_per_24 * 256;
constexpr uint64_t first_second_octet = 244;

}  // namespace

std::string node_internal_ip(int index) {
  return "127.0." + std::to_string(1 + index / 254) + "." + std::to_string(1 + index % 254);
}

std::string ip_pool::address_of(uint64_t serial) {
  const uint64_t b = first_second_octet + serial / per_second_octet;
  const uint64_t c = (serial / hosts_per_24) % 256;
  const uint64_t d = 1 + serial % hosts_per_24;
  return "10." + std::to_string(b) + "." + std::to_string(c) + "." + std::to_string(d);
}

std::optional<uint64_t> ip_pool::serial_of(const std::string& ip) {
  unsigned a = 0, b = 0, c = 0, d = 0;
  char tail = 0;
  if (std::sscanf(ip.c_str(), "%u.%u.%u.%u%c", &a, &b, &c, &d, &tail) != 4) return std::nullopt;
  if (a != 10 || b < first_second_octet || b > 255 || c > 255 || d < 1 || d > hosts_per_24)
    return std::nullopt;
  return (b - first_second_octet) * per_second_octet + c * hosts_per_24 + (d - 1);
}

std::string ip_pool::next() {
  return address_of(next_++);
}

void ip_pool::observe(const std::string& ip) {
  if (auto serial = serial_of(ip); serial && *serial >= next_) next_ = *serial + 1;
}

namespace {

std::string format_utc(std::chrono::system_clock::time_point t, bool micro) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string out = buf;
  if (micro) {
    const auto since_second = t - std::chrono::system_clock::from_time_t(secs);
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(since_second).count();
    char frac[16];
    std::snprintf(frac, sizeof frac, ".%06lld", static_cast<long long>(us < 0 ? 0 : us % 1000000));
    out += frac;
  }
  return out + "Z";
}

}  // namespace

std::string format_time(std::chrono::system_clock::time_point t) {
  return format_utc(t, false);
}

std::string format_micro_time(std::chrono::system_clock::time_point t) {
  return format_utc(t, true);
}

}  // namespace kubelet_sim
