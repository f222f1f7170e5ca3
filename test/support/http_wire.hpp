#pragma once
// Internal to the scripted server: HTTP/1.1 framing on the TLS stream.

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>

#include <string>

#include "test/support/scripted_server.hpp"

namespace test_support::detail {

using tls_stream = boost::asio::ssl::stream<boost::asio::ip::tcp::socket>;

// Reads requests one after the other, keeping whatever the peer sent beyond the current one
// (pipelining) for the next. Throws boost::system::system_error when the connection fails or
// ends, and other std::exceptions on malformed requests.
class request_reader {
 public:
  explicit request_reader(tls_stream& stream) : stream_(stream) {}

  struct result {
    http_request request;
    bool keep_alive;  // whether the connection may serve another request after this one
  };
  result next();

 private:
  std::string line();
  std::string take(size_t n);
  std::string chunked_body();

  tls_stream& stream_;
  std::string buffer_;
};

std::string lower(std::string s);
const char* reason_phrase(int status);

}  // namespace test_support::detail
