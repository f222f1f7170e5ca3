#include "test/support/scripted_connection.hpp"

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/socket.h>

#include <boost/asio/write.hpp>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <stdexcept>

namespace test_support::detail {
namespace {

namespace asio = boost::asio;

std::string peer_common_name(tls_stream& stream) {
  X509* peer = SSL_get1_peer_certificate(stream.native_handle());
  if (!peer) return {};
  char cn[256];
  const int n = X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, cn,
                                          static_cast<int>(sizeof cn));
  X509_free(peer);
  return n > 0 ? std::string(cn, static_cast<size_t>(n)) : std::string();
}

class connection_writer final : public response_writer {
 public:
  connection_writer(const server_state& state, tls_stream& stream, int fd,
                    const http_request& request, bool keep_alive)
      : state_(state),
        stream_(stream),
        fd_(fd),
        head_only_(request.method == "HEAD"),
        keep_alive_(keep_alive) {}

  void send(int status, const std::string& body,
            std::map<std::string, std::string> headers) override {
    expect(phase::idle, "send");
    // These statuses never carry a body, so they must not announce one either.
    const bool bodiless = status < 200 || status == 204 || status == 304;
    std::string out = head(status, headers);
    if (!bodiless) out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    out += "\r\n";
    if (!bodiless && !head_only_) out += body;
    phase_ = phase::done;
    write(out);
  }

  void start_chunked(int status, std::map<std::string, std::string> headers) override {
    expect(phase::idle, "start_chunked");
    phase_ = phase::chunking;
    write(head(status, headers) + "Transfer-Encoding: chunked\r\n\r\n");
  }

  void write_chunk(const std::string& data) override {
    expect(phase::chunking, "write_chunk");
    if (data.empty()) return;  // an empty chunk would end the stream
    char size[32];
    std::snprintf(size, sizeof size, "%zx\r\n", data.size());
    write(size + data + "\r\n");
  }

  void end_chunked() override {
    expect(phase::chunking, "end_chunked");
    phase_ = phase::done;
    write("0\r\n\r\n");
  }

  void close_abruptly() override {
    // A TCP FIN without a TLS close_notify: the client reads what was sent, then a truncation.
    ::shutdown(fd_, SHUT_RDWR);
    phase_ = phase::closed;
  }

  bool wait(std::chrono::milliseconds d) override { return state_.wait(d); }

  // Completes whatever the handler left unfinished; returns whether to keep the connection.
  bool finish(const std::string& handler_error) {
    if (phase_ == phase::idle) {
      const std::string message = handler_error.empty()
                                      ? "scripted_server: the handler sent no response"
                                      : "scripted_server: the handler threw: " + handler_error;
      send(500,
           nlohmann::json{{"kind", "Status"},
                          {"apiVersion", "v1"},
                          {"status", "Failure"},
                          {"message", message},
                          {"code", 500}}
               .dump(),
           {});
    } else if (phase_ == phase::chunking) {
      if (!handler_error.empty()) return false;  // a failed stream should look cut, not done
      end_chunked();
    }
    if (phase_ == phase::done && !keep_alive_) {
      // After "Connection: close" the client expects an orderly TLS close, not a truncation.
      // This waits for the peer's close_notify or FIN; stopping the server ends the wait too.
      boost::system::error_code ignored;
      stream_.shutdown(ignored);
    }
    return phase_ == phase::done && keep_alive_;
  }

 private:
  enum class phase { idle, chunking, done, closed };

  void expect(phase wanted, const char* operation) {
    if (phase_ == phase::closed) {
      throw boost::system::system_error(asio::error::not_connected, operation);
    }
    if (phase_ != wanted) {
      throw std::logic_error(std::string("response_writer::") + operation + " out of order");
    }
  }

  std::string head(int status, const std::map<std::string, std::string>& headers) {
    std::string out = "HTTP/1.1 " + std::to_string(status) + " " + reason_phrase(status) + "\r\n";
    bool has_type = false;
    for (const auto& [name, value] : headers) {
      const std::string key = lower(name);
      // A handler asking to close gets a closed connection, not just the header.
      if (key == "connection" && lower(value).find("close") != std::string::npos) {
        keep_alive_ = false;
      }
      if (key == "content-length" || key == "transfer-encoding" || key == "connection") continue;
      has_type = has_type || key == "content-type";
      out += name + ": " + value + "\r\n";
    }
    if (!has_type) out += "Content-Type: application/json\r\n";
    if (!keep_alive_) out += "Connection: close\r\n";
    return out;
  }

  void write(const std::string& data) { asio::write(stream_, asio::buffer(data)); }

  const server_state& state_;
  tls_stream& stream_;
  int fd_;
  bool head_only_;
  bool keep_alive_;
  phase phase_ = phase::idle;
};

std::string describe_current_exception() {
  try {
    throw;
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "an exception not derived from std::exception";
  }
}

}  // namespace

void serve_connection(server_state& state, tls_stream& stream, int fd) noexcept {
  try {
    stream.handshake(asio::ssl::stream_base::server);
    const std::string client_cn = peer_common_name(stream);
    state.connection_established();
    request_reader in(stream);
    while (!state.is_stopping()) {
      auto [request, keep_alive] = in.next();
      request.client_cert_cn = client_cn;
      state.record(request);

      connection_writer writer(state, stream, fd, request, keep_alive);
      std::string handler_error;
      try {
        state.on_request(request, writer);
      } catch (const boost::system::system_error&) {
        throw;  // the connection itself failed; nothing more can be sent on it
      } catch (...) {
        handler_error = describe_current_exception();
        std::fprintf(stderr, "scripted_server: handler for %s %s threw: %s\n",
                     request.method.c_str(), request.target.c_str(), handler_error.c_str());
      }
      if (!writer.finish(handler_error)) return;
    }
  } catch (const boost::system::system_error& e) {
    // The peer sent close_notify: answer it so its own shutdown completes cleanly.
    boost::system::error_code ignored;
    if (e.code() == asio::error::eof) stream.shutdown(ignored);
  } catch (...) {
    // Malformed requests and the like: the connection just ends.
  }
}

}  // namespace test_support::detail