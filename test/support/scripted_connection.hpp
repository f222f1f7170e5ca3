#pragma once
// Internal to the scripted server: the state its connection threads share with it, and the
// HTTP/1.1 loop that serves one accepted connection.

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <vector>

#include "test/support/http_wire.hpp"
#include "test/support/scripted_server.hpp"

namespace test_support::detail {

struct server_state {
  handler on_request;

  mutable std::mutex mu;
  // Signalled when a request is recorded and when the server starts stopping.
  mutable std::condition_variable changed;
  bool stopping = false;
  std::vector<http_request> requests;
  size_t connections = 0;

  bool is_stopping() const {
    std::lock_guard<std::mutex> lock(mu);
    return stopping;
  }

  // False when the server began stopping before `d` passed.
  bool wait(std::chrono::milliseconds d) const {
    std::unique_lock<std::mutex> lock(mu);
    return !changed.wait_for(lock, d, [this] { return stopping; });
  }

  void record(const http_request& request) {
    {
      std::lock_guard<std::mutex> lock(mu);
      requests.push_back(request);
    }
    changed.notify_all();
  }

  void connection_established() {
    std::lock_guard<std::mutex> lock(mu);
    ++connections;
  }
};

// Handshakes, then serves requests until the connection ends for any reason. Never throws:
// a vanished client or a failed handshake just ends the connection. `fd` is the socket's
// descriptor, shut down (not closed) to cut the connection from the handler's side.
void serve_connection(server_state& state, tls_stream& stream, int fd) noexcept;

}  // namespace test_support::detail
