#include "test/support/http_wire.hpp"

#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <map>
#include <stdexcept>
#include <utility>

namespace test_support {

std::string http_request::header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? std::string() : it->second;
}

namespace detail {
namespace {

namespace asio = boost::asio;

// Generous: watch and list bodies in the tests are small, this only bounds a runaway client.
constexpr size_t kMaxBuffered = 64 * 1024 * 1024;

std::string trim(const std::string& s) {
  const auto first = s.find_first_not_of(" \t");
  if (first == std::string::npos) return {};
  return s.substr(first, s.find_last_not_of(" \t") - first + 1);
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// Only %XX is decoded: Kubernetes clients send '+' literally (e.g. in RFC 3339 timestamps).
std::string percent_decode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

void parse_target(http_request& request) {
  const auto question = request.target.find('?');
  request.path = request.target.substr(0, question);
  if (question == std::string::npos) return;
  const std::string query = request.target.substr(question + 1);
  size_t start = 0;
  while (start <= query.size()) {
    size_t end = query.find('&', start);
    if (end == std::string::npos) end = query.size();
    const std::string pair = query.substr(start, end - start);
    if (!pair.empty()) {
      const auto equals = pair.find('=');
      request.query[percent_decode(pair.substr(0, equals))] =
          equals == std::string::npos ? std::string() : percent_decode(pair.substr(equals + 1));
    }
    start = end + 1;
  }
}

}  // namespace

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

const char* reason_phrase(int status) {
  static const std::map<int, const char*> phrases = {{100, "Continue"},
                                                     {200, "OK"},
                                                     {201, "Created"},
                                                     {202, "Accepted"},
                                                     {204, "No Content"},
                                                     {304, "Not Modified"},
                                                     {400, "Bad Request"},
                                                     {401, "Unauthorized"},
                                                     {403, "Forbidden"},
                                                     {404, "Not Found"},
                                                     {405, "Method Not Allowed"},
                                                     {409, "Conflict"},
                                                     {410, "Gone"},
                                                     {415, "Unsupported Media Type"},
                                                     {422, "Unprocessable Entity"},
                                                     {429, "Too Many Requests"},
                                                     {500, "Internal Server Error"},
                                                     {502, "Bad Gateway"},
                                                     {503, "Service Unavailable"},
                                                     {504, "Gateway Timeout"}};
  const auto it = phrases.find(status);
  if (it != phrases.end()) return it->second;
  return status < 400 ? "Status" : "Error";
}

std::string request_reader::line() {
  const size_t n = asio::read_until(stream_, asio::dynamic_buffer(buffer_, kMaxBuffered), "\r\n");
  std::string result = buffer_.substr(0, n - 2);
  buffer_.erase(0, n);
  return result;
}

std::string request_reader::take(size_t n) {
  if (buffer_.size() < n) {
    asio::read(stream_, asio::dynamic_buffer(buffer_, kMaxBuffered),
               asio::transfer_at_least(n - buffer_.size()));
  }
  std::string result = buffer_.substr(0, n);
  buffer_.erase(0, n);
  return result;
}

std::string request_reader::chunked_body() {
  std::string body;
  for (;;) {
    const size_t size = std::stoul(line(), nullptr, 16);  // stops at any ";extension"
    if (size == 0) break;
    body += take(size);
    take(2);  // the CRLF that closes each chunk
  }
  // Trailer fields, unused, end with an empty line.
  for (std::string trailer = line(); !trailer.empty(); trailer = line()) {
  }
  return body;
}

request_reader::result request_reader::next() {
  http_request request;
  std::string text = line();
  while (text.empty()) text = line();  // stray CRLFs between requests are allowed
  const auto sp1 = text.find(' ');
  const auto sp2 = text.rfind(' ');
  if (sp1 == std::string::npos || sp2 == sp1) throw std::runtime_error("bad request line");
  request.method = text.substr(0, sp1);
  request.target = text.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string version = text.substr(sp2 + 1);
  parse_target(request);

  for (text = line(); !text.empty(); text = line()) {
    const auto colon = text.find(':');
    if (colon == std::string::npos) throw std::runtime_error("bad header line");
    const std::string name = lower(trim(text.substr(0, colon)));
    const std::string value = trim(text.substr(colon + 1));
    auto [it, inserted] = request.headers.emplace(name, value);
    if (!inserted) it->second += ", " + value;
  }

  if (lower(request.header("expect")) == "100-continue") {
    asio::write(stream_, asio::buffer(std::string("HTTP/1.1 100 Continue\r\n\r\n")));
  }
  if (lower(request.header("transfer-encoding")).find("chunked") != std::string::npos) {
    request.body = chunked_body();
  } else if (!request.header("content-length").empty()) {
    request.body = take(std::stoul(request.header("content-length")));
  }
  // Taken only now, so rate-limit tests measure when each request was complete.
  request.received_at = std::chrono::steady_clock::now();

  const std::string connection = lower(request.header("connection"));
  const bool keep_alive = version == "HTTP/1.0" ? connection.find("keep-alive") != std::string::npos
                                                : connection.find("close") == std::string::npos;
  return {std::move(request), keep_alive};
}

}  // namespace detail
}  // namespace test_support
