#pragma once
// Addresses and timestamps as a kubelet writes them. Pod IPs come from a counter that only
// grows, so an address is never handed out twice while the simulator runs, and the counter is
// moved past every address seen on existing pods, so a restarted simulator does not reuse one.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace kubelet_sim {

// "127.0.1.1" for node 0, "127.0.1.2" for node 1, ...: unique per node index.
std::string node_internal_ip(int index);

class ip_pool {
 public:
  // 10.244.0.1, 10.244.0.2, ... (host parts .0 and .255 are skipped).
  std::string next();
  // Moves the counter past `ip` when it is one of the pool's addresses; others are ignored.
  void observe(const std::string& ip);

  static std::string address_of(uint64_t serial);
  static std::optional<uint64_t> serial_of(const std::string& ip);

 private:
  uint64_t next_ = 0;
};

// metav1.Time: RFC 3339 in UTC with whole seconds, "2024-05-01T12:00:00Z".
std::string format_time(std::chrono::system_clock::time_point t);
// metav1.MicroTime (Lease renewTime): exactly six fractional digits, "...T12:00:00.123456Z".
std::string format_micro_time(std::chrono::system_clock::time_point t);

}  // namespace kubelet_sim
