#include "k8s/http_transport.hpp"

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cpprest/containerstream.h>
#include <cpprest/http_client.h>
#include <pplx/threadpool.h>
#include <boost/asio/ssl.hpp>
#include <cerrno>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <string_view>

namespace k8s {

namespace http = web::http;
namespace client = web::http::client;

namespace {

void init_io_pool(int threads) {
  static std::once_flag once;
  std::call_once(once, [threads] {
    try {
      crossplat::threadpool::initialize_with_threads(static_cast<size_t>(threads));
    } catch (const std::exception&) {
      // Someone used the library before us and the pool already exists: keep it.
    }
  });
}

// Applied to every new connection's TLS context.
void configure_tls(const tls_material& tls, boost::asio::ssl::context& ctx) {
  if (!tls.ca_pem.empty()) {
    // Trust exactly the cluster's CA, as client-go does: a fresh store, without the system
    // bundle cpprest loaded into the context (see skip_system_bundle).
    SSL_CTX_set_cert_store(ctx.native_handle(), X509_STORE_new());
    ctx.add_certificate_authority(boost::asio::buffer(tls.ca_pem));
  }
  if (!tls.client_cert_pem.empty()) {
    ctx.use_certificate_chain(boost::asio::buffer(tls.client_cert_pem));
    ctx.use_private_key(boost::asio::buffer(tls.client_key_pem), boost::asio::ssl::context::pem);
  }
}

// cpprest calls set_default_verify_paths on every new connection's context before our callback
// can replace its store: OpenSSL then parses the whole system CA bundle (some 140 certificates,
// ~800,000 allocations) per connection, and with the watches connecting at once that held 4 MB
// of the heap at start. Where the cluster's CA is given, configure_tls drops that store, so
// whatever the default file is (SSL_CERT_FILE included) is never used: point it at an empty one.
// The process's only TLS is to the API server, through this transport, with this configuration.
// Set once, before the first connection: a later transport finds it set and writes nothing, so
// no connection's getenv races a setenv.
void skip_system_bundle(const tls_material& tls) {
  const char* file = std::getenv("SSL_CERT_FILE");
  if (!tls.ca_pem.empty() && (file == nullptr || std::string_view(file) != "/dev/null"))
    setenv("SSL_CERT_FILE", "/dev/null", 1);
}

client::http_client_config client_config(const config& cfg, std::chrono::seconds idle_timeout) {
  client::http_client_config c;
  c.set_timeout(idle_timeout);
  c.set_validate_certificates(!cfg.tls.insecure_skip_verify);
  auto tls = cfg.tls;
  c.set_ssl_context_callback([tls](boost::asio::ssl::context& ctx) { configure_tls(tls, ctx); });
  return c;
}

bool contains(const std::string& text, const char* needle) {
  return text.find(needle) != std::string::npos;
}

api_error error_from_exception(std::exception_ptr ep, const std::string& server) {
  try {
    std::rethrow_exception(ep);
  } catch (const http::http_exception& e) {
    const std::string what = e.what();
    const int code = e.error_code().value();
    const std::string detail = what + " (" + e.error_code().message() + ")";
    if (code == ECANCELED || contains(what, "canceled"))
      return {error_kind::canceled, "request to " + server + " was cancelled"};
    if (code == ETIMEDOUT || contains(what, "timed out"))
      return {error_kind::timeout, "no response from " + server + " in time: " + detail};
    if (contains(what, "SSL") || contains(what, "handshake"))
      return {error_kind::tls, "TLS with " + server + " failed: " + detail};
    return {error_kind::transport, "cannot reach " + server + ": " + detail};
  } catch (const pplx::task_canceled&) {
    return {error_kind::canceled, "request to " + server + " was cancelled"};
  } catch (const std::exception& e) {
    return {error_kind::transport, "request to " + server + " failed: " + e.what()};
  }
}

std::optional<int> retry_after_of(const http::http_response& r) {
  auto it = r.headers().find("Retry-After");
  if (it == r.headers().end()) return std::nullopt;
  try {
    return std::stoi(it->second);  // an HTTP-date form is ignored: the caller's backoff applies
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// Reads the body with the pattern that never occupies an I/O thread: wait (on the caller's
// thread) until one byte is buffered, then take every buffered byte synchronously. The
// library's read_line() instead blocks a pool thread on long lines, and getn(buf, n) waits
// for n bytes or the end of the body, which holds a quiet watch's events back.
class cpprest_stream final : public http_stream {
  using buffer = concurrency::streams::streambuf<uint8_t>;
  using traits = buffer::traits;

  // One wait for a byte; shared with the library's continuation, which may outlive the stream.
  struct byte_wait {
    std::mutex m;
    std::condition_variable arrived;
    bool done = false;
    bool eof = false;
    std::exception_ptr error;
  };

 public:
  explicit cpprest_stream(std::string server) : server_(std::move(server)) {}

  result<std::optional<std::string>> read_some(time_point deadline) override {
    try {
      buffer buf = body_.streambuf();
      for (;;) {
        if (!wait_) {
          if (buf.in_avail() > 0) return take(buf);
          wait_ = std::make_shared<byte_wait>();
          // The continuation keeps the buffer alive: it may run after this stream is gone.
          buf.getc().then([w = wait_, buf](pplx::task<buffer::int_type> t) {
            std::lock_guard<std::mutex> lock(w->m);
            try {
              w->eof = t.get() == traits::eof();
            } catch (...) {
              w->error = std::current_exception();
            }
            w->done = true;
            w->arrived.notify_all();
          });
        }
        std::shared_ptr<byte_wait> w = wait_;
        {
          std::unique_lock<std::mutex> lock(w->m);
          if (!w->arrived.wait_until(lock, deadline, [&] { return w->done; }))
            return api_error(error_kind::timeout,
                             "the stream from " + server_ + " sent nothing in time");
        }
        wait_.reset();
        if (w->error) std::rethrow_exception(w->error);
        if (w->eof) return std::optional<std::string>{};
      }
    } catch (...) {
      return error_from_exception(std::current_exception(), server_);
    }
  }

  void cancel() override { cts_.cancel(); }

  pplx::cancellation_token token() const { return cts_.get_token(); }
  void attach(http::http_response response) {
    response_ = std::move(response);
    body_ = response_.body();
  }

 private:
  // Every byte already buffered. A read of no more than is buffered completes inline: the
  // returned task is done, so get() neither blocks nor schedules work on the I/O threads.
  static std::optional<std::string> take(buffer& buf) {
    std::string out(buf.in_avail(), '\0');
    const size_t n = buf.getn(reinterpret_cast<uint8_t*>(out.data()), out.size()).get();
    out.resize(n);
    return out;
  }

  std::string server_;
  pplx::cancellation_token_source cts_;
  http::http_response response_;
  concurrency::streams::istream body_;
  std::shared_ptr<byte_wait> wait_;  // a wait still running from an earlier call
};

}  // namespace

struct http_transport::impl {
  transport_options options;
  client::http_client requests;
  client::http_client streams;

  impl(const config& cfg, transport_options opts)
      : options(std::move(opts)),
        requests(cfg.server, client_config(cfg, options.request_timeout)),
        streams(cfg.server, client_config(cfg, options.stream_idle_timeout)) {}

  http::http_request build(const config& cfg, const http_request_spec& spec) const {
    http::http_request req(spec.method);
    req.set_request_uri(web::uri(spec.target));
    if (cfg.token) {
      const std::string token = cfg.token->token();
      if (!token.empty()) req.headers().add("Authorization", "Bearer " + token);
    }
    req.headers().add("Accept", "application/json");
    req.headers().add("User-Agent", options.user_agent);
    if (!spec.body.empty() || !spec.content_type.empty())
      req.set_body(std::string(spec.body), spec.content_type);
    return req;
  }
};

http_transport::http_transport(const config& cfg, transport_options options) : cfg_(cfg) {
  if (cfg_.server.empty()) throw config_error("no API server address configured");
  init_io_pool(options.io_threads);
  skip_system_bundle(cfg_.tls);
  try {
    // Fail now, with a config error, on PEM material the TLS library would reject later.
    boost::asio::ssl::context probe(boost::asio::ssl::context::tls_client);
    configure_tls(cfg_.tls, probe);
  } catch (const std::exception& e) {
    throw config_error(std::string("unusable TLS material in ") + cfg_.origin + ": " + e.what());
  }
  impl_ = std::make_unique<impl>(cfg_, std::move(options));
}

http_transport::~http_transport() = default;

void http_transport::send(http_request_spec spec, std::function<void(result<http_response>)> done) {
  auto finish = std::make_shared<std::function<void(result<http_response>)>>(std::move(done));
  const std::string server = cfg_.server;
  http::http_request req;
  try {
    req = impl_->build(cfg_, spec);
  } catch (const std::exception& e) {
    (*finish)(api_error(error_kind::config, e.what()));
    return;
  }
  auto token = cfg_.token;
  impl_->requests.request(req)
      .then([token](http::http_response r) {
        const int status = r.status_code();
        if (status == 401 && token) token->reread();  // rotated on disk, revoked at the server
        const auto retry_after = retry_after_of(r);
        return r.extract_utf8string(true).then([status, retry_after](std::string body) {
          return http_response{status, std::move(body), retry_after};
        });
      })
      .then([finish, server](pplx::task<http_response> t) {
        std::optional<result<http_response>> outcome;
        try {
          outcome.emplace(t.get());
        } catch (...) {
          outcome.emplace(error_from_exception(std::current_exception(), server));
        }
        (*finish)(std::move(*outcome));
      });
}

result<std::unique_ptr<http_stream>> http_transport::open_stream(
    http_request_spec spec, std::chrono::steady_clock::time_point deadline,
    const std::function<void(http_stream&)>& on_open) {
  auto stream = std::make_unique<cpprest_stream>(cfg_.server);
  if (on_open) on_open(*stream);
  // The headers are awaited here with a deadline; the library's own timeout is an idle
  // timeout, long for streams.
  struct header_wait {
    std::mutex m;
    std::condition_variable arrived;
    std::optional<http::http_response> response;
    std::exception_ptr error;
    bool done = false;
  };
  auto wait = std::make_shared<header_wait>();
  try {
    impl_->streams.request(impl_->build(cfg_, spec), stream->token())
        .then([wait](pplx::task<http::http_response> t) {
          std::lock_guard<std::mutex> lock(wait->m);
          try {
            wait->response.emplace(t.get());
          } catch (...) {
            wait->error = std::current_exception();
          }
          wait->done = true;
          wait->arrived.notify_all();
        });
  } catch (...) {
    return error_from_exception(std::current_exception(), cfg_.server);
  }
  std::unique_lock<std::mutex> lock(wait->m);
  if (!wait->arrived.wait_until(lock, deadline, [&] { return wait->done; })) {
    stream->cancel();
    return api_error(error_kind::timeout, "no response headers from " + cfg_.server + " in time");
  }
  if (wait->error) return error_from_exception(wait->error, cfg_.server);
  http::http_response response = std::move(*wait->response);
  lock.unlock();
  try {
    const int status = response.status_code();
    if (status == 401 && cfg_.token) cfg_.token->reread();
    if (status < 200 || status > 299) {
      // An error body is small and complete; the wait for it is bounded by the idle timeout.
      auto err = api_error::from_http(status, response.extract_utf8string(true).get());
      err.set_retry_after_seconds(retry_after_of(response));
      return err;
    }
    stream->attach(std::move(response));
  } catch (...) {
    return error_from_exception(std::current_exception(), cfg_.server);
  }
  return std::unique_ptr<http_stream>(std::move(stream));
}

}  // namespace k8s
