// TLS and authentication of the client against a real HTTPS server on 127.0.0.1.

#include <catch2/catch.hpp>

#include "test/client/client_fixture.hpp"

using namespace client_fixture;
using test_support::http_request;
using test_support::response_writer;

namespace {
void answer_ok(const http_request&, response_writer& w) {
  w.send(200, R"({"kind":"Pod"})");
}
}  // namespace

TEST_CASE("client TLS: the bearer token is sent and the cluster CA is verified") {
  test_support::scripted_server server(answer_ok);
  k8s::client api(config_for(server, "s3cret"));
  auto r = await_json([&](auto cb) { api.get(k8s::resources::pods, "default", "p", cb); });
  REQUIRE(r.ok());
  CHECK(r.value()["kind"] == "Pod");
  REQUIRE(server.request_count() == 1);
  const auto req = server.requests().front();
  CHECK(req.header("authorization") == "Bearer s3cret");
  CHECK(req.path == "/api/v1/namespaces/default/pods/p");
  CHECK(req.header("accept") == "application/json");
  CHECK(req.header("user-agent").rfind("ray-operator", 0) == 0);
}

TEST_CASE("client TLS: trusting the wrong CA fails the handshake and sends nothing") {
  test_support::scripted_server server(answer_ok);
  auto cfg = config_for(server);
  cfg.tls.ca_pem = test_support::test_pki::get().other_ca_cert_pem;
  k8s::client api(cfg, quick_options());
  auto r = await_json([&](auto cb) { api.get(k8s::resources::pods, "default", "p", cb); });
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().kind() == k8s::error_kind::tls);
  CHECK(r.error().message().find("TLS") != std::string::npos);
  CHECK(server.request_count() == 0);
}

TEST_CASE("client TLS: insecure-skip-tls-verify accepts an unknown server certificate") {
  test_support::scripted_server server(answer_ok);
  auto cfg = config_for(server);
  cfg.tls.ca_pem.clear();
  cfg.tls.insecure_skip_verify = true;
  k8s::client api(cfg);
  auto r = await_json([&](auto cb) { api.get(k8s::resources::pods, "default", "p", cb); });
  CHECK(r.ok());
}

TEST_CASE("client TLS: without a CA or insecure flag, the system trust store refuses a test CA") {
  test_support::scripted_server server(answer_ok);
  auto cfg = config_for(server);
  cfg.tls.ca_pem.clear();
  k8s::client api(cfg, quick_options());
  auto r = await_json([&](auto cb) { api.get(k8s::resources::pods, "default", "p", cb); });
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().kind() == k8s::error_kind::tls);
}

TEST_CASE("client TLS: a client certificate authenticates over mutual TLS") {
  test_support::scripted_server server(answer_ok, {/*require_client_cert=*/true});
  const auto& pki = test_support::test_pki::get();
  auto cfg = config_for(server, "");
  cfg.tls.client_cert_pem = pki.client_cert_pem;
  cfg.tls.client_key_pem = pki.client_key_pem;
  k8s::client api(cfg);
  auto r = await_json([&](auto cb) { api.get(k8s::resources::pods, "default", "p", cb); });
  REQUIRE(r.ok());
  REQUIRE(server.request_count() == 1);
  CHECK(server.requests().front().client_cert_cn == "ray-operator-test");
  CHECK(server.requests().front().header("authorization").empty());
}

TEST_CASE("client TLS: a server that demands a client certificate refuses a client without one") {
  test_support::scripted_server server(answer_ok, {/*require_client_cert=*/true});
  k8s::client api(config_for(server), quick_options());
  auto r = await_json([&](auto cb) { api.get(k8s::resources::pods, "default", "p", cb); });
  REQUIRE_FALSE(r.ok());
  CHECK(server.request_count() == 0);
}

TEST_CASE("client TLS: unusable PEM material is a configuration error at construction") {
  test_support::scripted_server server(answer_ok);
  auto cfg = config_for(server);
  cfg.tls.client_cert_pem = "-----BEGIN CERTIFICATE-----\nnot a certificate\n";
  cfg.tls.client_key_pem = "junk";
  CHECK_THROWS_AS(k8s::client(cfg), k8s::config_error);
}
