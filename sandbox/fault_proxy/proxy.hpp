#pragma once
// The fault proxy's data path: it terminates TLS with the API server's own certificate (so the
// client's verification passes unchanged), reads each HTTP request, asks the fault plan what to
// do with it, and passes it on to the API server over TLS, relaying the answer back as it
// arrives (a watch's events go on one by one). One thread per client connection: the clients
// are a few operators, and blocking code is the plainest to follow.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <optional>
#include <string>

#include "sandbox/fault_proxy/connections.hpp"
#include "sandbox/fault_proxy/fault_plan.hpp"

namespace fault_proxy {

struct upstream_address {
  std::string host;
  std::string port;
};

class proxy {
 public:
  proxy(boost::asio::ssl::context& serving, boost::asio::ssl::context& upstream_tls,
        upstream_address upstream, fault_plan& plan, connections& conns)
      : serving_(serving),
        upstream_tls_(upstream_tls),
        upstream_(std::move(upstream)),
        plan_(plan),
        conns_(conns) {}

  // Accepts connections for ever, each served on a thread of its own.
  void run(boost::asio::ip::tcp::acceptor& acceptor);

 private:
  using tls_stream = boost::asio::ssl::stream<boost::asio::ip::tcp::socket>;
  void serve(boost::asio::ip::tcp::socket socket);
  // One connection's requests, until either side ends it or a fault does.
  void talk(boost::asio::io_context& io, connections::entry& e, tls_stream& client,
            std::optional<tls_stream>& upstream);

  boost::asio::ssl::context& serving_;
  boost::asio::ssl::context& upstream_tls_;
  upstream_address upstream_;
  fault_plan& plan_;
  connections& conns_;
};

}  // namespace fault_proxy
