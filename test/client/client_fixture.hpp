#pragma once
// Shared pieces of the client tests: a config pointing at a scripted server, and a way to
// wait for an asynchronous call's result with a deadline.

#include <chrono>
#include <future>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "k8s/client.hpp"
#include "test/support/scripted_server.hpp"
#include "test/support/test_pki.hpp"

namespace client_fixture {

inline k8s::config config_for(const test_support::scripted_server& server,
                              const std::string& token = "test-token") {
  k8s::config cfg;
  cfg.server = server.url();
  cfg.tls.ca_pem = test_support::test_pki::get().ca_cert_pem;
  if (!token.empty()) cfg.token = k8s::token_source::fixed(token);
  cfg.origin = "test";
  return cfg;
}

// Fast retries keep the tests quick; the policy under test is the same.
inline k8s::client_options quick_options() {
  k8s::client_options o;
  o.retry_backoff = {std::chrono::milliseconds(20), std::chrono::milliseconds(100), 2.0, 0.0};
  return o;
}

// Runs `start(callback)` and waits for the callback's result.
template <class T, class Start>
k8s::result<T> await(Start&& start, std::chrono::seconds timeout = std::chrono::seconds(20)) {
  auto promise = std::make_shared<std::promise<k8s::result<T>>>();
  auto future = promise->get_future();
  start([promise](k8s::result<T> r) { promise->set_value(std::move(r)); });
  if (future.wait_for(timeout) != std::future_status::ready)
    throw std::runtime_error("no result within the deadline");
  return future.get();
}

template <class Start>
k8s::result<nlohmann::json> await_json(Start&& start) {
  return await<nlohmann::json>(std::forward<Start>(start));
}

inline std::string status_body(int code, const std::string& reason, const std::string& message) {
  return nlohmann::json{{"kind", "Status"},
                        {"apiVersion", "v1"},
                        {"status", "Failure"},
                        {"code", code},
                        {"reason", reason},
                        {"message", message},
                        {"metadata", nlohmann::json::object()}}
      .dump();
}

}  // namespace client_fixture
