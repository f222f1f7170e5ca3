#pragma once
// The operator's HTTP endpoints: /metrics on one address, /healthz and /readyz on another (as
// KubeRay's :8080 and :8082). The probes run on the HTTP library's threads and must answer at
// once (from heartbeats, never by asking an actor); /metrics is serialised on a thread of its
// own.

#include <functional>
#include <memory>
#include <string>

namespace app {

struct probe_result {
  bool ok;
  std::string message;
};

class http_endpoints {
 public:
  // `addr` is "host:port" or ":port" (every interface); "0" or empty: that endpoint is off.
  http_endpoints(const std::string& metrics_addr, const std::string& health_addr,
                 std::function<std::string()> metrics, std::function<probe_result()> healthz,
                 std::function<probe_result()> readyz);
  ~http_endpoints();
  http_endpoints(const http_endpoints&) = delete;
  http_endpoints& operator=(const http_endpoints&) = delete;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

// "http://0.0.0.0:8080" from ":8080", "http://127.0.0.1:9000" from "127.0.0.1:9000".
std::string listen_url(const std::string& addr);

}  // namespace app
