#pragma once
// Every failure the k8s/ layer reports is one `api_error`, whose `kind` callers switch on and
// whose `message()` is a sentence a person can act on. Kubernetes `Status` bodies keep their
// code, reason and message; failures below HTTP (TLS, connection, timeout) get their own kinds.

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace k8s {

enum class error_kind {
  transport,               // connection refused/reset, DNS, stream cut before a response
  tls,                     // handshake failed: wrong CA, hostname mismatch, bad client certificate
  timeout,                 // no response (or no data on a stream) within the configured time
  canceled,                // the caller cancelled the request
  bad_request,             // 400
  unauthorized,            // 401
  forbidden,               // 403
  not_found,               // 404
  already_exists,          // 409, reason AlreadyExists
  conflict,                // 409, any other reason (resourceVersion or uid precondition failed)
  gone,                    // 410: resourceVersion or continue token expired
  unsupported_media_type,  // 415: e.g. strategic merge patch on a custom resource
  invalid,                 // 422
  too_many_requests,       // 429
  server_error,            // 5xx
  other_http,              // any other non-2xx status
  decode,                  // the body was not the JSON it should be
  config,                  // the client configuration cannot be used
};

const char* to_string(error_kind kind);

class api_error {
 public:
  api_error(error_kind kind, std::string message, int http_code = 0, std::string reason = {})
      : kind_(kind),
        http_code_(http_code),
        reason_(std::move(reason)),
        message_(std::move(message)) {}

  // Classifies an HTTP status and its body (a Kubernetes `Status` object when the API server
  // sent one). The body may be anything; unparseable bodies are quoted, shortened.
  static api_error from_http(int http_code, const std::string& body);

  error_kind kind() const { return kind_; }
  int http_code() const { return http_code_; }
  const std::string& reason() const { return reason_; }    // Status.reason, e.g. "AlreadyExists"
  const std::string& message() const { return message_; }  // Status.message or our own sentence
  // Seconds from a Retry-After header or Status.details.retryAfterSeconds, when the server gave
  // one.
  std::optional<int> retry_after_seconds() const { return retry_after_; }
  void set_retry_after_seconds(std::optional<int> s) { retry_after_ = s; }

  // "409 AlreadyExists: pods \"x\" already exists" or "tls: certificate verify failed".
  std::string describe() const;

  // The server could not take the request just now — 429, 503, 504, a timeout, a connection
  // or TLS failure — rather than refusing this request (a 4xx) or failing at it (a 500). Such
  // a condition clears by itself, so what retries after it waits briefly, never minutes.
  bool unavailable() const;

 private:
  error_kind kind_;
  int http_code_;
  std::string reason_;
  std::string message_;
  std::optional<int> retry_after_;
};

// Either a value or an api_error; what every asynchronous call delivers to its callback.
template <class T>
class result {
 public:
  result(T value) : v_(std::move(value)) {}          // NOLINT(google-explicit-constructor)
  result(api_error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  const api_error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, api_error> v_;
};

}  // namespace k8s
