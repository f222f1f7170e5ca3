// The in-cluster environment, file-backed bearer tokens, and the start-up choice of config.

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "k8s/config.hpp"
#include "test/unit/config_test_support.hpp"

using namespace std::chrono_literals;
using Catch::Contains;
using config_test::env_guard;
using config_test::temp_dir;
using k8s::config_error;
using k8s::token_source;

namespace {

const std::string ca_pem = "-----BEGIN CERTIFICATE-----\nY2E=\n-----END CERTIFICATE-----\n";

// A service-account directory as the kubelet mounts it.
void write_service_account(const temp_dir& dir) {
  dir.write("token", "sa-token\n");
  dir.write("ca.crt", ca_pem);
  dir.write("namespace", "ray-system\n");
}

std::string poll_token(token_source& source, const std::string& want) {
  auto deadline = std::chrono::steady_clock::now() + 5s;
  std::string seen = source.token();
  while (seen != want && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
    seen = source.token();
  }
  return seen;
}

std::string minimal_kubeconfig(const std::string& server) {
  return "clusters: [{name: c, cluster: {server: '" + server +
         "'}}]\n"
         "contexts: [{name: x, context: {cluster: c}}]\ncurrent-context: x\n";
}

}  // namespace

TEST_CASE("in-cluster: service account files and environment give the config") {
  temp_dir sa;
  write_service_account(sa);
  env_guard env{{"KUBERNETES_SERVICE_HOST", "10.96.0.1"}, {"KUBERNETES_SERVICE_PORT", "443"}};
  auto cfg = k8s::in_cluster_config(sa.path());
  CHECK(cfg.server == "https://10.96.0.1:443");
  REQUIRE(cfg.token);
  CHECK(cfg.token->token() == "sa-token");
  CHECK(cfg.token->path() == sa.path() + "/token");
  CHECK(cfg.tls.ca_pem == ca_pem);
  CHECK(cfg.default_namespace == "ray-system");
  CHECK(cfg.origin == "in-cluster (" + sa.path() + ")");
}

TEST_CASE("in-cluster: an IPv6 service host is put in brackets") {
  temp_dir sa;
  write_service_account(sa);
  env_guard env{{"KUBERNETES_SERVICE_HOST", "fd00::1"}, {"KUBERNETES_SERVICE_PORT", "6443"}};
  CHECK(k8s::in_cluster_config(sa.path()).server == "https://[fd00::1]:6443");
}

TEST_CASE("in-cluster: a missing service host or port is named") {
  temp_dir sa;
  write_service_account(sa);
  {
    env_guard env{{"KUBERNETES_SERVICE_HOST", std::nullopt}, {"KUBERNETES_SERVICE_PORT", "443"}};
    CHECK_THROWS_WITH(k8s::in_cluster_config(sa.path()), Contains("KUBERNETES_SERVICE_HOST"));
  }
  env_guard env{{"KUBERNETES_SERVICE_HOST", "10.96.0.1"},
                {"KUBERNETES_SERVICE_PORT", std::nullopt}};
  CHECK_THROWS_WITH(k8s::in_cluster_config(sa.path()), Contains("KUBERNETES_SERVICE_PORT"));
}

TEST_CASE("in-cluster: the namespace file is optional, ca.crt and token are not") {
  temp_dir sa;
  write_service_account(sa);
  env_guard env{{"KUBERNETES_SERVICE_HOST", "10.96.0.1"}, {"KUBERNETES_SERVICE_PORT", "443"}};
  sa.remove("namespace");
  CHECK(k8s::in_cluster_config(sa.path()).default_namespace == "default");
  sa.remove("ca.crt");
  CHECK_THROWS_WITH(k8s::in_cluster_config(sa.path()), Contains(sa.path() + "/ca.crt"));
  sa.write("ca.crt", ca_pem);
  sa.remove("token");
  CHECK_THROWS_WITH(k8s::in_cluster_config(sa.path()), Contains(sa.path() + "/token"));
}

TEST_CASE("token file: a rewritten token is picked up after the refresh interval") {
  temp_dir dir;
  std::string path = dir.write("token", "first\n");
  auto source = token_source::from_file(path, 50ms);
  CHECK(source->token() == "first");
  dir.write("token", "second\n");
  CHECK(poll_token(*source, "second") == "second");
}

TEST_CASE("token file: a rewritten token is not read again before the refresh interval") {
  temp_dir dir;
  std::string path = dir.write("token", "first");
  auto source = token_source::from_file(path, 1h);
  dir.write("token", "second");
  CHECK(source->token() == "first");
}

TEST_CASE("token file: a failed re-read keeps the last good token") {
  temp_dir dir;
  std::string path = dir.write("token", "first");
  auto source = token_source::from_file(path, 1ms);
  dir.remove("token");
  std::this_thread::sleep_for(5ms);
  CHECK(source->token() == "first");
  dir.write("token", "  \n");
  std::this_thread::sleep_for(5ms);
  CHECK(source->token() == "first");
  dir.write("token", "third");
  CHECK(poll_token(*source, "third") == "third");
}

TEST_CASE("token file: an unreadable or empty file fails at construction, naming the path") {
  temp_dir dir;
  CHECK_THROWS_WITH(token_source::from_file(dir.path() + "/absent"),
                    Contains(dir.path() + "/absent") && Contains("No such file"));
  std::string empty = dir.write("empty", "\n");
  CHECK_THROWS_AS(token_source::from_file(empty), config_error);
  CHECK_THROWS_WITH(token_source::from_file(empty), Contains(empty));
}

TEST_CASE("token file: trailing whitespace is removed from tokens") {
  temp_dir dir;
  CHECK(token_source::from_file(dir.write("token", "abc \r\n"))->token() == "abc");
  CHECK(token_source::fixed("xyz\n")->token() == "xyz");
}

TEST_CASE("token file: concurrent readers always see a whole token") {
  temp_dir dir;
  std::string path = dir.write("token", "aaaa");
  auto source = token_source::from_file(path, 0ms);
  std::atomic<bool> stop{false};
  std::atomic<int> bad{0};
  std::vector<std::thread> readers;
  for (int i = 0; i < 4; ++i) {
    readers.emplace_back([&] {
      while (!stop) {
        std::string t = source->token();
        if (t != "aaaa" && t != "bbbb") ++bad;
      }
    });
  }
  for (int i = 0; i < 200; ++i) dir.write("token", i % 2 ? "aaaa" : "bbbb");
  stop = true;
  for (auto& t : readers) t.join();
  CHECK(bad == 0);
}

TEST_CASE("default kubeconfig path: the first KUBECONFIG entry, else ~/.kube/config") {
  env_guard env{{"KUBECONFIG", "::/a/config:/b/config"}, {"HOME", "/home/me"}};
  CHECK(k8s::default_kubeconfig_path() == "/a/config");
  env_guard no_list{{"KUBECONFIG", std::nullopt}};
  CHECK(k8s::default_kubeconfig_path() == "/home/me/.kube/config");
  env_guard nothing{{"HOME", std::nullopt}};
  CHECK(k8s::default_kubeconfig_path().empty());
}

TEST_CASE("default config: an explicit path wins over KUBECONFIG and in-cluster") {
  temp_dir dir;
  std::string path = dir.write("explicit", minimal_kubeconfig("https://explicit:6443"));
  std::string other = dir.write("env", minimal_kubeconfig("https://env:6443"));
  env_guard env{{"KUBECONFIG", other}, {"KUBERNETES_SERVICE_HOST", "10.96.0.1"}};
  CHECK(k8s::load_default_config(path).server == "https://explicit:6443");
  CHECK(k8s::load_default_config().server == "https://env:6443");
}

TEST_CASE("default config: in-cluster when KUBERNETES_SERVICE_HOST is set and KUBECONFIG is not") {
  env_guard env{{"KUBECONFIG", std::nullopt},
                {"KUBERNETES_SERVICE_HOST", "10.96.0.1"},
                {"KUBERNETES_SERVICE_PORT", "443"}};
  // The real service-account directory exists only inside a pod; elsewhere the error shows
  // that the in-cluster configuration was the one tried.
  std::string outcome;
  try {
    outcome = k8s::load_default_config().origin;
  } catch (const config_error& e) {
    outcome = e.what();
  }
  CHECK_THAT(outcome, Contains(std::string("in-cluster (") + k8s::default_service_account_dir));
  CHECK_THROWS_WITH(k8s::load_default_config("", "staging"),
                    Contains("context \"staging\" was requested"));
}

TEST_CASE("default config: ~/.kube/config when nothing else is set") {
  temp_dir home;
  std::filesystem::create_directory(home.path() + "/.kube");
  home.write(".kube/config", minimal_kubeconfig("https://home:6443"));
  env_guard env{{"KUBECONFIG", std::nullopt},
                {"KUBERNETES_SERVICE_HOST", std::nullopt},
                {"HOME", home.path()}};
  auto cfg = k8s::load_default_config();
  CHECK(cfg.server == "https://home:6443");
  CHECK_THAT(cfg.origin, Contains(home.path() + "/.kube/config"));
}

TEST_CASE("default config: no kubeconfig and no cluster is an error saying what to set") {
  temp_dir home;
  env_guard env{{"KUBECONFIG", std::nullopt},
                {"KUBERNETES_SERVICE_HOST", std::nullopt},
                {"HOME", home.path()}};
  CHECK_THROWS_WITH(k8s::load_default_config(),
                    "no kubeconfig found and not running in a cluster (set KUBECONFIG or use "
                    "--kubeconfig)");
}
