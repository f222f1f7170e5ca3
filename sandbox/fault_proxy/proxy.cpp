#include "sandbox/fault_proxy/proxy.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <iostream>
#include <limits>
#include <optional>
#include <thread>

namespace fault_proxy {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using tls_stream = asio::ssl::stream<tcp::socket>;
using beast::error_code;

namespace {

bool connect_upstream(asio::io_context& io, asio::ssl::context& tls, const upstream_address& to,
                      std::optional<tls_stream>& out) {
  out.reset();
  error_code ec;
  tcp::resolver resolver(io);
  auto endpoints = resolver.resolve(to.host, to.port, ec);
  if (ec) {
    std::cerr << "fault-proxy: resolving " << to.host << ": " << ec.message() << std::endl;
    return false;
  }
  auto& s = out.emplace(io, tls);
  s.set_verify_mode(asio::ssl::verify_peer);
  s.set_verify_callback(asio::ssl::host_name_verification(to.host));
  asio::connect(s.next_layer(), endpoints, ec);
  if (!ec) s.handshake(asio::ssl::stream_base::client, ec);
  if (ec) {
    std::cerr << "fault-proxy: connecting to " << to.host << ":" << to.port << ": " << ec.message()
              << std::endl;
    out.reset();
  }
  return !ec;
}

template <class Body>
bool answer(tls_stream& client, const http::request<http::string_body>& req,
            http::response<Body>& res) {
  res.version(req.version());
  res.keep_alive(req.keep_alive());
  res.prepare_payload();
  error_code ec;
  http::write(client, res, ec);
  return !ec && req.keep_alive();
}

bool answer_error(tls_stream& client, const http::request<http::string_body>& req, int code,
                  int retry_after) {
  http::response<http::string_body> res{static_cast<http::status>(code), req.version()};
  res.set(http::field::content_type, "application/json");
  if (retry_after > 0) res.set(http::field::retry_after, std::to_string(retry_after));
  res.body() = status_body(code);
  return answer(client, req, res);
}

// A watch resumed from a version the server no longer has, as the API server ends it: one
// ERROR event carrying a 410 Status.
bool answer_gone(tls_stream& client, const http::request<http::string_body>& req) {
  http::response<http::string_body> res{http::status::ok, req.version()};
  res.set(http::field::content_type, "application/json");
  res.body() = "{\"type\":\"ERROR\",\"object\":" + status_body(410) + "}\n";
  return answer(client, req, res);
}

// Passes the upstream's answer back as it arrives: a watch's events go on one by one. The
// answer starts `delay` late (a watch's events then follow as they come: a delay per event
// would add up on a busy stream, and outlast the latency command by the stream's whole life);
// nothing passes while the connection is held. Returns whether the connection may carry
// another request.
bool relay_answer(tls_stream& upstream, beast::flat_buffer& buffer, tls_stream& client,
                  bool head_request, std::chrono::milliseconds delay, connections& conns,
                  connections::entry& e) {
  error_code ec;
  http::response_parser<http::buffer_body> p;
  p.body_limit(std::numeric_limits<std::uint64_t>::max());  // a watch has no end
  if (head_request) p.skip(true);
  http::read_header(upstream, buffer, p, ec);
  if (ec) return false;
  const auto arrived = clock::now();
  if (!conns.pass(e)) return false;
  if (delay.count() > 0) std::this_thread::sleep_until(arrived + delay);
  http::serializer<false, http::buffer_body> sr{p.get()};
  http::write_header(client, sr, ec);
  if (ec) return false;
  char buf[64 * 1024];
  do {
    if (!p.is_done()) {
      p.get().body().data = buf;
      p.get().body().size = sizeof buf;
      http::read_some(upstream, buffer, p, ec);
      if (ec == http::error::need_buffer) ec = {};
      if (ec) return false;
      p.get().body().size = sizeof buf - p.get().body().size;
      p.get().body().data = buf;
      p.get().body().more = !p.is_done();
    } else {
      p.get().body().data = nullptr;
      p.get().body().size = 0;
    }
    // Nothing of the body parsed yet (a chunk's header alone): an empty piece would go out as
    // a chunk of size 0, which ends a chunked body.
    if (p.get().body().size == 0 && p.get().body().more) continue;
    if (!conns.pass(e)) return false;
    http::write(client, sr, ec);
    if (ec == http::error::need_buffer) ec = {};
    if (ec) return false;
  } while (!p.is_done() && !sr.is_done());
  return p.get().keep_alive();
}

}  // namespace

void proxy::run(tcp::acceptor& acceptor) {
  for (;;) {
    error_code ec;
    tcp::socket socket(acceptor.get_executor());
    acceptor.accept(socket, ec);
    if (ec) {
      std::cerr << "fault-proxy: accept: " << ec.message() << std::endl;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      continue;
    }
    if (conns_.refusing()) {
      conns_.count_refused();
      continue;  // the socket closes here
    }
    std::thread([this, s = std::move(socket)]() mutable { serve(std::move(s)); }).detach();
  }
}

void proxy::serve(tcp::socket socket) {
  auto entry = conns_.add(socket.native_handle());
  auto& io = static_cast<asio::io_context&>(socket.get_executor().context());
  tls_stream client(std::move(socket), serving_);
  std::optional<tls_stream> upstream;
  talk(io, *entry, client, upstream);
  // Unregistered before the sockets close (connections.hpp says why).
  conns_.remove(*entry);
}

void proxy::talk(asio::io_context& io, connections::entry& e, tls_stream& client,
                 std::optional<tls_stream>& upstream) {
  if (!conns_.pass(e)) return;  // opened during a blackhole: never answered
  error_code ec;
  client.handshake(asio::ssl::stream_base::server, ec);
  if (ec) return;
  beast::flat_buffer client_buffer, upstream_buffer;
  for (;;) {
    http::request_parser<http::string_body> rp;
    rp.header_limit(1 << 20);
    rp.body_limit(std::uint64_t{256} << 20);
    http::read(client, client_buffer, rp, ec);
    if (ec) return;
    auto& req = rp.get();
    if (!conns_.pass(e)) return;
    const request_info info = describe(std::string(req.method_string()),
                                       std::string_view(req.target().data(), req.target().size()));
    const decision d = plan_.decide(info, clock::now());
    if (d.what == decision::action::drop) return;
    if (d.what == decision::action::respond) {
      if (!answer_error(client, req, d.code, d.retry_after)) return;
      continue;
    }
    if (d.what == decision::action::gone) {
      if (!answer_gone(client, req)) return;
      continue;
    }
    // A kept-alive upstream connection the server has closed meanwhile fails at the write, with
    // nothing delivered: the request goes again on a new one.
    for (int attempt = 0; attempt < 2; ++attempt) {
      const bool reused = upstream.has_value();
      if (!upstream) {
        conns_.set_upstream(e, -1);
        if (!connect_upstream(io, upstream_tls_, upstream_, upstream))
          return;  // the server is down: the client sees its connection close
        upstream_buffer.clear();
        conns_.set_upstream(e, upstream->next_layer().native_handle());
      }
      http::write(*upstream, req, ec);
      if (!ec) break;
      conns_.set_upstream(e, -1);
      upstream.reset();
      if (!reused) return;
    }
    if (!upstream) return;
    if (info.watch) conns_.set_watch(e, info.resource);
    const bool again = relay_answer(*upstream, upstream_buffer, client,
                                    req.method() == http::verb::head, d.delay, conns_, e);
    if (info.watch) conns_.set_watch(e, {});
    if (!again) return;
  }
}

}  // namespace fault_proxy
