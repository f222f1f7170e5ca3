#include "app/http_endpoints.hpp"

#include <spdlog/spdlog.h>

#include <cpprest/http_listener.h>
#include <stdexcept>

namespace app {

namespace http = web::http;
using web::http::experimental::listener::http_listener;

std::string listen_url(const std::string& addr) {
  const auto colon = addr.rfind(':');
  if (colon == std::string::npos) throw std::invalid_argument("address '" + addr + "' has no port");
  const std::string host = colon == 0 ? "0.0.0.0" : addr.substr(0, colon);
  return "http://" + host + ":" + addr.substr(colon + 1);
}

struct http_endpoints::impl {
  std::unique_ptr<http_listener> metrics;
  std::unique_ptr<http_listener> health;
};

namespace {

std::unique_ptr<http_listener> open(const std::string& addr,
                                    std::function<void(http::http_request)> handler) {
  if (addr.empty() || addr == "0") return nullptr;
  auto l = std::make_unique<http_listener>(listen_url(addr));
  l->support(http::methods::GET, std::move(handler));
  l->open().wait();
  spdlog::info("serving {}", listen_url(addr));
  return l;
}

void reply_probe(http::http_request& req, const probe_result& r) {
  req.reply(r.ok ? http::status_codes::OK : http::status_codes::ServiceUnavailable,
            r.message + "\n", "text/plain; charset=utf-8");
}

}  // namespace

http_endpoints::http_endpoints(const std::string& metrics_addr, const std::string& health_addr,
                               std::function<std::string()> metrics,
                               std::function<probe_result()> healthz,
                               std::function<probe_result()> readyz)
    : impl_(std::make_unique<impl>()) {
  impl_->metrics = open(metrics_addr, [metrics](http::http_request req) {
    if (req.relative_uri().path() != "/metrics")
      return void(req.reply(http::status_codes::NotFound));
    req.reply(http::status_codes::OK, metrics(), "text/plain; version=0.0.4; charset=utf-8");
  });
  impl_->health = open(health_addr, [healthz, readyz](http::http_request req) {
    const auto path = req.relative_uri().path();
    if (path == "/healthz") return reply_probe(req, healthz());
    if (path == "/readyz") return reply_probe(req, readyz());
    req.reply(http::status_codes::NotFound);
  });
}

http_endpoints::~http_endpoints() {
  for (auto* l : {impl_->metrics.get(), impl_->health.get()})
    if (l) l->close().wait();
}

}  // namespace app
