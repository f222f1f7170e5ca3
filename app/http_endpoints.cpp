#include "app/http_endpoints.hpp"

#include <spdlog/spdlog.h>

#include <cpprest/http_listener.h>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "k8s/thread_name.hpp"

namespace app {

namespace http = web::http;
using web::http::experimental::listener::http_listener;

std::string listen_url(const std::string& addr) {
  const auto colon = addr.rfind(':');
  if (colon == std::string::npos) throw std::invalid_argument("address '" + addr + "' has no port");
  const std::string host = colon == 0 ? "0.0.0.0" : addr.substr(0, colon);
  return "http://" + host + ":" + addr.substr(colon + 1);
}

// Serialising the metrics of thousands of clusters takes a while: it runs on a thread of its
// own, never on one of the HTTP library's I/O threads, which every request and watch shares.
class scrape_worker {
 public:
  explicit scrape_worker(std::function<std::string()> serialize)
      : serialize_(std::move(serialize)), thread_([this] { run(); }) {}
  ~scrape_worker() {
    {
      std::lock_guard<std::mutex> lock(m_);
      stopping_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  void submit(http::http_request req) {
    {
      std::lock_guard<std::mutex> lock(m_);
      queue_.push_back(std::move(req));
    }
    cv_.notify_all();
  }

 private:
  void run() {
    k8s::name_this_thread("metrics");
    for (;;) {
      std::deque<http::http_request> batch;
      {
        std::unique_lock<std::mutex> lock(m_);
        cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        if (stopping_) return;
        batch.swap(queue_);
      }
      // Scrapes waiting together share one serialisation.
      const std::string text = serialize_();
      for (auto& req : batch)
        req.reply(http::status_codes::OK, text, "text/plain; version=0.0.4; charset=utf-8");
    }
  }

  std::function<std::string()> serialize_;
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<http::http_request> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

struct http_endpoints::impl {
  std::unique_ptr<scrape_worker> scraper;
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
  if (!metrics_addr.empty() && metrics_addr != "0")
    impl_->scraper = std::make_unique<scrape_worker>(std::move(metrics));
  impl_->metrics = open(metrics_addr, [scraper = impl_->scraper.get()](http::http_request req) {
    if (req.relative_uri().path() != "/metrics")
      return void(req.reply(http::status_codes::NotFound));
    scraper->submit(std::move(req));
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
  impl_->scraper.reset();
}

}  // namespace app
