#include "test/support/scripted_server.hpp"

#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>

#include <list>
#include <stdexcept>
#include <thread>

#include "test/support/scripted_connection.hpp"

namespace test_support {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

// The trust list is what a client sees in the CertificateRequest; clients that pick their
// certificate by issuer need the test CA named there.
void name_client_ca(SSL_CTX* ctx, const std::string& ca_pem) {
  BIO* bio = BIO_new_mem_buf(ca_pem.data(), static_cast<int>(ca_pem.size()));
  X509* ca = bio ? PEM_read_bio_X509(bio, nullptr, nullptr, nullptr) : nullptr;
  BIO_free(bio);
  const bool added = ca && SSL_CTX_add_client_CA(ctx, ca) == 1;
  X509_free(ca);
  if (!added) throw std::runtime_error("scripted_server: cannot name the client CA");
}

void configure_tls(asio::ssl::context& tls, const scripted_server_options& options) {
  const test_pki& pki = test_pki::get();
  SSL_CTX* ctx = tls.native_handle();
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
    throw std::runtime_error("scripted_server: cannot require TLS 1.2");
  }
  tls.set_options(asio::ssl::context::default_workarounds);
  tls.use_certificate_chain(asio::buffer(pki.server_cert_pem));
  tls.use_private_key(asio::buffer(pki.server_key_pem), asio::ssl::context::pem);
  // Without a session id context OpenSSL refuses to resume sessions once peers are verified,
  // failing a reconnecting client's handshake instead of just doing a full one.
  static const unsigned char session_context[] = "scripted_server";
  SSL_CTX_set_session_id_context(ctx, session_context, sizeof session_context - 1);
  if (options.require_client_cert) {
    tls.add_certificate_authority(asio::buffer(pki.ca_cert_pem));
    tls.set_verify_mode(asio::ssl::verify_peer | asio::ssl::verify_fail_if_no_peer_cert);
    name_client_ca(ctx, pki.ca_cert_pem);
  }
}

struct connection {
  connection(tcp::socket socket, asio::ssl::context& tls)
      : stream(std::move(socket), tls), fd(stream.lowest_layer().native_handle()) {}

  detail::tls_stream stream;
  const int fd;
  // Both guarded by server_state::mu. While `open`, fd is still this socket's, so another
  // thread may shut it down; the connection thread clears it before closing the socket.
  bool open = true;
  bool finished = false;
  std::thread thread;
};

}  // namespace

struct scripted_server::impl {
  detail::server_state state;
  asio::io_context io;  // only owns the sockets: every operation here is blocking
  asio::ssl::context tls{asio::ssl::context::tls_server};
  tcp::acceptor acceptor{io};
  uint16_t port = 0;
  std::list<std::unique_ptr<connection>> connections;  // guarded by state.mu
  std::thread accept_thread;

  void accept_loop() noexcept;
  void run(connection& c) noexcept;
  void reap_finished_locked();
  void stop() noexcept;
};

void scripted_server::impl::accept_loop() noexcept {
  for (;;) {
    tcp::socket socket(io);
    boost::system::error_code ec;
    acceptor.accept(socket, ec);
    std::unique_lock<std::mutex> lock(state.mu);
    if (state.stopping) return;
    reap_finished_locked();
    if (ec) {
      // Out of descriptors or the like: back off instead of spinning, and keep serving.
      lock.unlock();
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      continue;
    }
    try {
      // Without it, a chunk written right after the headers can sit out a delayed ACK (~40 ms),
      // which would blur the pauses the watch and rate-limit tests measure.
      socket.set_option(tcp::no_delay(true));
      connections.push_back(std::make_unique<connection>(std::move(socket), tls));
      connection& c = *connections.back();
      // Started under the lock, so the reaper cannot see the connection without its thread.
      c.thread = std::thread([this, &c] { run(c); });
    } catch (...) {
      if (!connections.empty() && !connections.back()->thread.joinable()) connections.pop_back();
    }
  }
}

void scripted_server::impl::run(connection& c) noexcept {
  detail::serve_connection(state, c.stream, c.fd);
  std::lock_guard<std::mutex> lock(state.mu);
  c.open = false;
  boost::system::error_code ignored;
  c.stream.lowest_layer().close(ignored);
  c.finished = true;
}

void scripted_server::impl::reap_finished_locked() {
  for (auto it = connections.begin(); it != connections.end();) {
    if ((*it)->finished) {
      (*it)->thread.join();  // it only has to return: `finished` is its last step
      it = connections.erase(it);
    } else {
      ++it;
    }
  }
}

void scripted_server::impl::stop() noexcept {
  {
    std::lock_guard<std::mutex> lock(state.mu);
    state.stopping = true;
  }
  state.changed.notify_all();

  // Closing a descriptor does not wake a thread blocked on it in Linux; shutting it down does
  // (accept fails with EINVAL, reads see end of stream, writes fail).
  if (accept_thread.joinable()) {
    ::shutdown(acceptor.native_handle(), SHUT_RDWR);
    accept_thread.join();
  }
  boost::system::error_code ignored;
  acceptor.close(ignored);

  std::list<std::unique_ptr<connection>> all;
  {
    std::lock_guard<std::mutex> lock(state.mu);
    for (const auto& c : connections) {
      if (c->open) ::shutdown(c->fd, SHUT_RDWR);
    }
    all.swap(connections);
  }
  for (const auto& c : all) {
    if (c->thread.joinable()) c->thread.join();
  }
}

scripted_server::scripted_server(handler h, scripted_server_options options)
    : impl_(std::make_unique<impl>()) {
  impl_->state.on_request = std::move(h);
  configure_tls(impl_->tls, options);
  tcp::acceptor& acceptor = impl_->acceptor;
  acceptor.open(tcp::v4());
  acceptor.bind(tcp::endpoint(asio::ip::address_v4::loopback(), 0));
  acceptor.listen();
  impl_->port = acceptor.local_endpoint().port();
  impl* self = impl_.get();
  impl_->accept_thread = std::thread([self] { self->accept_loop(); });
}

scripted_server::~scripted_server() {
  impl_->stop();
}

uint16_t scripted_server::port() const {
  return impl_->port;
}

std::string scripted_server::url() const {
  return "https://127.0.0.1:" + std::to_string(impl_->port);
}

std::vector<http_request> scripted_server::requests() const {
  std::lock_guard<std::mutex> lock(impl_->state.mu);
  return impl_->state.requests;
}

size_t scripted_server::request_count() const {
  std::lock_guard<std::mutex> lock(impl_->state.mu);
  return impl_->state.requests.size();
}

bool scripted_server::wait_for_requests(size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(impl_->state.mu);
  return impl_->state.changed.wait_for(lock, timeout,
                                       [this, n] { return impl_->state.requests.size() >= n; });
}

size_t scripted_server::connection_count() const {
  std::lock_guard<std::mutex> lock(impl_->state.mu);
  return impl_->state.connections;
}

}  // namespace test_support
