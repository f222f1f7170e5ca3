#include "k8s/error.hpp"

#include <nlohmann/json.hpp>

namespace k8s {

const char* to_string(error_kind kind) {
  switch (kind) {
    case error_kind::transport:
      return "transport";
    case error_kind::tls:
      return "tls";
    case error_kind::timeout:
      return "timeout";
    case error_kind::canceled:
      return "canceled";
    case error_kind::bad_request:
      return "bad request";
    case error_kind::unauthorized:
      return "unauthorized";
    case error_kind::forbidden:
      return "forbidden";
    case error_kind::not_found:
      return "not found";
    case error_kind::already_exists:
      return "already exists";
    case error_kind::conflict:
      return "conflict";
    case error_kind::gone:
      return "gone";
    case error_kind::unsupported_media_type:
      return "unsupported media type";
    case error_kind::invalid:
      return "invalid";
    case error_kind::too_many_requests:
      return "too many requests";
    case error_kind::server_error:
      return "server error";
    case error_kind::other_http:
      return "http error";
    case error_kind::decode:
      return "decode";
    case error_kind::config:
      return "config";
  }
  return "unknown";
}

namespace {

error_kind kind_for(int code, const std::string& reason) {
  switch (code) {
    case 400:
      return error_kind::bad_request;
    case 401:
      return error_kind::unauthorized;
    case 403:
      return error_kind::forbidden;
    case 404:
      return error_kind::not_found;
    case 409:
      return reason == "AlreadyExists" ? error_kind::already_exists : error_kind::conflict;
    case 410:
      return error_kind::gone;
    case 415:
      return error_kind::unsupported_media_type;
    case 422:
      return error_kind::invalid;
    case 429:
      return error_kind::too_many_requests;
    default:
      break;
  }
  return code >= 500 && code <= 599 ? error_kind::server_error : error_kind::other_http;
}

}  // namespace

api_error api_error::from_http(int http_code, const std::string& body) {
  std::string reason, message;
  std::optional<int> retry_after;
  auto status = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (status.is_object() && status.value("kind", "") == "Status") {
    reason = status.value("reason", "");
    message = status.value("message", "");
    // A Status may carry its own code (a watch's ERROR event does, inside an HTTP 200).
    if (status.contains("code") && status["code"].is_number_integer())
      http_code = status["code"].get<int>();
    auto details = status.find("details");
    if (details != status.end() && details->is_object() && details->contains("retryAfterSeconds") &&
        (*details)["retryAfterSeconds"].is_number_integer())
      retry_after = (*details)["retryAfterSeconds"].get<int>();
  } else {
    constexpr size_t max_quoted = 200;
    message = body.size() > max_quoted ? body.substr(0, max_quoted) + "..." : body;
    if (message.empty()) message = "HTTP " + std::to_string(http_code) + " with an empty body";
  }
  api_error err{kind_for(http_code, reason), std::move(message), http_code, std::move(reason)};
  err.set_retry_after_seconds(retry_after);
  return err;
}

std::string api_error::describe() const {
  std::string out;
  if (http_code_ != 0) {
    out = std::to_string(http_code_);
    if (!reason_.empty()) out += " " + reason_;
  } else {
    out = to_string(kind_);
  }
  return out + ": " + message_;
}

bool api_error::unavailable() const {
  switch (kind_) {
    case error_kind::transport:
    case error_kind::tls:
    case error_kind::timeout:
    case error_kind::too_many_requests:
      return true;
    case error_kind::server_error:
      return http_code_ == 503 || http_code_ == 504;
    default:
      return false;
  }
}

}  // namespace k8s
