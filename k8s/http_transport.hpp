#pragma once
// The HTTP layer under the client: TLS set up from a `config`, a bearer token on every request,
// and the mapping of transport failures onto api_error kinds. It keeps cpprestsdk out of every
// other header (its headers are slow to compile and define macros that clash with fmt).

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "k8s/config.hpp"
#include "k8s/error.hpp"

namespace k8s {

struct http_request_spec {
  std::string method;  // "GET", "POST", "PUT", "PATCH", "DELETE"
  std::string target;  // path and query: "/api/v1/namespaces/default/pods?limit=500"
  std::string body;
  std::string content_type;  // required when there is a body
};

struct http_response {
  int status = 0;
  std::string body;
  std::optional<int> retry_after_seconds;  // from a Retry-After header in seconds
};

// A response body read as it arrives (a watch). Reads block only the calling thread, never one
// of the HTTP library's I/O threads, and never wait for more bytes than have arrived: a quiet
// stream's last event is delivered as soon as its bytes are here.
class http_stream {
 public:
  using time_point = std::chrono::steady_clock::time_point;
  virtual ~http_stream() = default;
  // Waits until bytes arrive, then returns all that have (at least one); std::nullopt when the
  // server ended the body cleanly. At `deadline` without a byte: error_kind::timeout, and the
  // caller should cancel() the stream and open another. After cancel(): error_kind::canceled.
  virtual result<std::optional<std::string>> read_some(time_point deadline) = 0;
  // Makes a blocked read_some return from any thread, and closes the connection.
  virtual void cancel() = 0;
};

struct transport_options {
  // Idle timeout for ordinary requests: no byte for this long fails the request.
  std::chrono::seconds request_timeout{30};
  // Idle timeout for streams. It must outlast the server-side watch timeout, since a quiet
  // watch carries no bytes at all (bookmarks are not a keep-alive on a quiet cluster).
  std::chrono::seconds stream_idle_timeout{330};
  std::string user_agent = "ray-operator";
  // Threads of the HTTP library's pool, set once per process. A small pool costs far less CPU
  // per request than the library's default of 40 threads; nothing ever blocks one of them
  // (streams are read on their callers' threads, responses decoded on the client's).
  int io_threads = 2;
};

class http_transport {
 public:
  http_transport(const config& cfg, transport_options options = {});
  ~http_transport();
  http_transport(const http_transport&) = delete;
  http_transport& operator=(const http_transport&) = delete;

  // Sends one request; `done` runs on an I/O thread with the whole response, whatever its
  // status, or with an api_error when no response arrived (TLS, connection, timeout).
  void send(http_request_spec request, std::function<void(result<http_response>)> done);

  // Opens a streamed response, blocking the calling thread until the headers arrive, or until
  // `deadline` (error_kind::timeout; the request is cancelled). For a caller's own thread
  // (watchers), never for an actor. A non-2xx status becomes an api_error. `on_open` receives
  // the stream before the request is sent, so another thread can cancel it while the headers
  // are still awaited.
  result<std::unique_ptr<http_stream>> open_stream(
      http_request_spec request, std::chrono::steady_clock::time_point deadline,
      const std::function<void(http_stream&)>& on_open = {});

  const config& cfg() const { return cfg_; }

 private:
  struct impl;
  config cfg_;
  std::unique_ptr<impl> impl_;
};

}  // namespace k8s
