#pragma once
// A small HTTPS/1.1 server on 127.0.0.1 that plays the Kubernetes API server in the client
// tests. Each test scripts the answers with a handler; handlers run on the connection's own
// thread, so they may sleep between chunks of a streamed (watch) response or drop the
// connection on purpose. Test-only code: a thread per connection is fine here.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "test/support/test_pki.hpp"

namespace test_support {

struct http_request {
  std::string method;                          // "GET", "POST", ...
  std::string target;                          // "/api/v1/pods?limit=2"
  std::string path;                            // "/api/v1/pods"
  std::map<std::string, std::string> query;    // percent-decoded
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::string client_cert_cn;  // when a client certificate was presented
  std::chrono::steady_clock::time_point received_at;

  std::string header(const std::string& lower_name) const;  // "" when absent
};

class response_writer {
 public:
  virtual ~response_writer() = default;
  // A complete response with Content-Length. Content-Type defaults to application/json.
  virtual void send(int status, const std::string& body,
                    std::map<std::string, std::string> headers = {}) = 0;
  // A streamed response (Transfer-Encoding: chunked); each write_chunk is flushed at once.
  virtual void start_chunked(int status, std::map<std::string, std::string> headers = {}) = 0;
  virtual void write_chunk(const std::string& data) = 0;
  virtual void end_chunked() = 0;
  // Drops the TCP connection at once, mid-response or not (a cut watch, a crashed server).
  virtual void close_abruptly() = 0;
  // Sleeps up to `d`, returning early (false) when the server is stopping.
  virtual bool wait(std::chrono::milliseconds d) = 0;
};

using handler = std::function<void(const http_request&, response_writer&)>;

struct scripted_server_options {
  bool require_client_cert = false;  // verify a client certificate against the test CA
};

class scripted_server {
 public:
  explicit scripted_server(handler h, scripted_server_options options = {});
  ~scripted_server();  // stops accepting, closes every connection, joins every thread
  scripted_server(const scripted_server&) = delete;
  scripted_server& operator=(const scripted_server&) = delete;

  uint16_t port() const;
  std::string url() const;  // "https://127.0.0.1:<port>"

  // Every request received so far, in arrival order (thread-safe copy).
  std::vector<http_request> requests() const;
  size_t request_count() const;
  // Blocks until at least `n` requests have arrived or `timeout` passes; returns whether they did.
  bool wait_for_requests(size_t n, std::chrono::milliseconds timeout) const;
  // Number of TLS connections accepted so far (handshake completed).
  size_t connection_count() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace test_support
