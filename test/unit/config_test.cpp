// Kubeconfig parsing. The in-cluster environment and token files are in in_cluster_test.cpp.

#include <catch2/catch.hpp>

#include <sstream>

#include "k8s/config.hpp"
#include "test/unit/config_test_support.hpp"

using Catch::Contains;
using config_test::temp_dir;
using k8s::config_error;
using k8s::parse_kubeconfig;

namespace {

const std::string ca_pem = "-----BEGIN CERTIFICATE-----\nY2E=\n-----END CERTIFICATE-----\n";
const std::string ca_b64 =
    "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tClkyRT0KLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo=";
const std::string cert_pem = "-----BEGIN CERTIFICATE-----\nY2xpZW50\n-----END CERTIFICATE-----\n";
const std::string cert_b64 =
    "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tClkyeHBaVzUwCi0tLS0tRU5EIENFUlRJRklDQVRFLS0tLS0K";
const std::string key_pem = "-----BEGIN PRIVATE KEY-----\na2V5\n-----END PRIVATE KEY-----\n";
const std::string key_b64 =
    "LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0tCmEyVjUKLS0tLS1FTkQgUFJJVkFURSBLRVktLS0tLQo=";

std::string indent(const std::string& lines, int width) {
  std::istringstream in(lines);
  std::string line, out;
  while (std::getline(in, line)) out += std::string(width, ' ') + line + "\n";
  return out;
}

// Cluster "c" and user "u", joined by the current context "ctx".
std::string kubeconfig(const std::string& cluster, const std::string& user = "token: abc",
                       const std::string& context = "") {
  return "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n" + indent(cluster, 4) +
         "users:\n- name: u\n  user:\n" + indent(user, 4) +
         "contexts:\n- name: ctx\n  context:\n    cluster: c\n    user: u\n" + indent(context, 4) +
         "current-context: ctx\n";
}

const std::string server = "server: https://10.0.0.1:6443";

std::string error_of(const std::string& yaml, const std::string& context = "") {
  try {
    parse_kubeconfig(yaml, "/nonexistent", context, "kubeconfig /home/me/config");
  } catch (const config_error& e) {
    return e.what();
  }
  FAIL("no config_error for:\n" << yaml);
  return {};
}

}  // namespace

TEST_CASE("kubeconfig: a token user gives the server and a fixed bearer token") {
  auto cfg = parse_kubeconfig(kubeconfig(server), "", "", "kubeconfig /home/me/config");
  CHECK(cfg.server == "https://10.0.0.1:6443");
  REQUIRE(cfg.token);
  CHECK(cfg.token->token() == "abc");
  CHECK(cfg.token->path().empty());
  CHECK(cfg.default_namespace == "default");
  CHECK(cfg.origin == "kubeconfig /home/me/config, context ctx");
  CHECK(cfg.tls.ca_pem.empty());
  CHECK_FALSE(cfg.tls.insecure_skip_verify);
}

TEST_CASE("kubeconfig: trailing slashes on the server are stripped") {
  auto cfg = parse_kubeconfig(kubeconfig("server: https://api.example.com:443/"), "");
  CHECK(cfg.server == "https://api.example.com:443");
}

TEST_CASE("kubeconfig: a relative tokenFile is read from the kubeconfig's directory") {
  temp_dir dir;
  dir.write("token", "from-file\n");
  std::string path = dir.write("config", kubeconfig(server, "tokenFile: token"));
  auto cfg = k8s::load_kubeconfig(path);
  REQUIRE(cfg.token);
  CHECK(cfg.token->token() == "from-file");
  CHECK(cfg.token->path() == dir.path() + "/token");
  CHECK(cfg.origin == "kubeconfig " + path + ", context ctx");
}

TEST_CASE("kubeconfig: with both token and tokenFile the file is used") {
  temp_dir dir;
  std::string token = dir.write("token", "from-file");
  auto cfg = parse_kubeconfig(kubeconfig(server, "token: inline\ntokenFile: " + token), "");
  CHECK(cfg.token->token() == "from-file");
}

TEST_CASE("kubeconfig: client certificate and key files are read relative to the kubeconfig") {
  temp_dir dir;
  std::filesystem::create_directory(dir.path() + "/pki");
  dir.write("pki/client.crt", cert_pem);
  dir.write("pki/client.key", key_pem);
  std::string path = dir.write(
      "config",
      kubeconfig(server, "client-certificate: pki/client.crt\nclient-key: pki/client.key"));
  auto cfg = k8s::load_kubeconfig(path);
  CHECK(cfg.tls.client_cert_pem == cert_pem);
  CHECK(cfg.tls.client_key_pem == key_pem);
  CHECK_FALSE(cfg.token);
}

TEST_CASE("kubeconfig: client certificate and key data are base64-decoded exactly") {
  auto cfg = parse_kubeconfig(
      kubeconfig(server, "client-certificate-data: " + cert_b64 + "\nclient-key-data: " + key_b64),
      "");
  CHECK(cfg.tls.client_cert_pem == cert_pem);  // no padding
  CHECK(cfg.tls.client_key_pem == key_pem);    // one padding character, not decoded as a NUL
}

TEST_CASE(
    "kubeconfig: a relative certificate-authority file is read from the kubeconfig's directory") {
  temp_dir dir;
  dir.write("ca.crt", ca_pem);
  std::string path = dir.write("config", kubeconfig(server + "\ncertificate-authority: ca.crt"));
  CHECK(k8s::load_kubeconfig(path).tls.ca_pem == ca_pem);
}

TEST_CASE("kubeconfig: certificate-authority-data is decoded, also when wrapped over lines") {
  auto one_line =
      parse_kubeconfig(kubeconfig(server + "\ncertificate-authority-data: " + ca_b64), "");
  CHECK(one_line.tls.ca_pem == ca_pem);
  std::string wrapped = ca_b64.substr(0, 40) + "\n  " + ca_b64.substr(40);
  auto cfg =
      parse_kubeconfig(kubeconfig(server + "\ncertificate-authority-data: |\n  " + wrapped), "");
  CHECK(cfg.tls.ca_pem == ca_pem);
}

TEST_CASE("kubeconfig: insecure-skip-tls-verify and tls-server-name are taken over") {
  auto cfg = parse_kubeconfig(
      kubeconfig(server + "\ninsecure-skip-tls-verify: true\ntls-server-name: kubernetes"), "");
  CHECK(cfg.tls.insecure_skip_verify);
  CHECK(cfg.tls.server_name == "kubernetes");
}

TEST_CASE("kubeconfig: a named context wins over current-context") {
  std::string yaml =
      "clusters:\n"
      "- {name: one, cluster: {server: 'https://one:6443'}}\n"
      "- {name: two, cluster: {server: 'https://two:6443'}}\n"
      "users: [{name: u, user: {token: abc}}]\n"
      "contexts:\n"
      "- {name: first, context: {cluster: one, user: u}}\n"
      "- {name: second, context: {cluster: two, user: u, namespace: ray}}\n"
      "current-context: first\n";
  CHECK(parse_kubeconfig(yaml, "").server == "https://one:6443");
  auto cfg = parse_kubeconfig(yaml, "", "second", "kubeconfig k");
  CHECK(cfg.server == "https://two:6443");
  CHECK(cfg.origin == "kubeconfig k, context second");
  CHECK(cfg.default_namespace == "ray");
}

TEST_CASE("kubeconfig: the context's namespace becomes the default namespace") {
  auto cfg = parse_kubeconfig(kubeconfig(server, "token: abc", "namespace: ray-system"), "");
  CHECK(cfg.default_namespace == "ray-system");
}

TEST_CASE("kubeconfig: a context without a user has no credentials") {
  std::string yaml =
      "clusters: [{name: c, cluster: {server: 'http://localhost:8080'}}]\n"
      "contexts: [{name: local, context: {cluster: c}}]\ncurrent-context: local\n";
  auto cfg = parse_kubeconfig(yaml, "");
  CHECK(cfg.server == "http://localhost:8080");
  CHECK_FALSE(cfg.token);
  CHECK(cfg.tls.client_cert_pem.empty());
}

TEST_CASE("kubeconfig: an unknown context is refused, naming it and the available ones") {
  std::string message = error_of(kubeconfig(server), "staging");
  CHECK_THAT(message, Contains("context \"staging\" not found"));
  CHECK_THAT(message, Contains("available: ctx"));
  CHECK_THAT(message, Contains("kubeconfig /home/me/config"));
}

TEST_CASE("kubeconfig: no context given and no current-context is refused") {
  std::string yaml = kubeconfig(server);
  yaml.erase(yaml.find("current-context"));
  std::string message = error_of(yaml);
  CHECK_THAT(message, Contains("current-context"));
  CHECK_THAT(message, Contains("available: ctx"));
}

TEST_CASE("kubeconfig: a context naming an unknown cluster or user is refused") {
  const std::string reference = "    cluster: c\n    user: u\n";
  std::string yaml = kubeconfig(server);
  std::string bad_cluster = yaml, bad_user = yaml;
  bad_cluster.replace(yaml.find(reference), reference.size(), "    cluster: nope\n    user: u\n");
  bad_user.replace(yaml.find(reference), reference.size(), "    cluster: c\n    user: ghost\n");
  CHECK_THAT(error_of(bad_cluster), Contains("cluster \"nope\" not found (available: c)"));
  CHECK_THAT(error_of(bad_user), Contains("user \"ghost\" not found (available: u)"));
}

TEST_CASE("kubeconfig: a cluster without a server is refused") {
  CHECK_THAT(error_of(kubeconfig("insecure-skip-tls-verify: true")),
             Contains("cluster \"c\": no server is set"));
}

TEST_CASE("kubeconfig: a server that is not http or https is refused") {
  CHECK_THAT(error_of(kubeconfig("server: 10.0.0.1:6443")), Contains("https:// or http://"));
  CHECK_THAT(error_of(kubeconfig("server: ftp://10.0.0.1")), Contains("\"ftp://10.0.0.1\""));
}

TEST_CASE("kubeconfig: an unreadable certificate-authority file is refused, naming the path") {
  std::string message = error_of(kubeconfig(server + "\ncertificate-authority: missing/ca.crt"));
  CHECK_THAT(message, Contains("/nonexistent/missing/ca.crt"));
  CHECK_THAT(message, Contains("No such file or directory"));
}

TEST_CASE("kubeconfig: invalid base64 is refused, naming the field") {
  CHECK_THAT(error_of(kubeconfig(server + "\ncertificate-authority-data: not*base64!")),
             Contains("`certificate-authority-data` is not valid base64"));
  CHECK_THAT(error_of(kubeconfig(server + "\ncertificate-authority-data: " + ca_b64.substr(1))),
             Contains("`certificate-authority-data` is not valid base64"));
  CHECK_THAT(
      error_of(kubeconfig(server, "client-key-data: ab=c\nclient-certificate-data: " + cert_b64)),
      Contains("`client-key-data` is not valid base64"));
}

TEST_CASE("kubeconfig: decoded data that is not PEM is refused") {
  CHECK_THAT(error_of(kubeconfig(server + "\ncertificate-authority-data: aGVsbG8=")),
             Contains("does not contain PEM data"));
}

TEST_CASE("kubeconfig: a file and -data for the same thing are refused") {
  CHECK_THAT(
      error_of(kubeconfig(
          server + "\ncertificate-authority: ca.crt\ncertificate-authority-data: " + ca_b64)),
      Contains("both `certificate-authority` and `certificate-authority-data`"));
}

TEST_CASE("kubeconfig: a client certificate without a key is refused, naming the user") {
  std::string message = error_of(kubeconfig(server, "client-certificate-data: " + cert_b64));
  CHECK_THAT(message, Contains("user \"u\""));
  CHECK_THAT(message, Contains("no client key"));
  CHECK_THAT(error_of(kubeconfig(server, "client-key-data: " + key_b64)),
             Contains("no client certificate"));
}

TEST_CASE("kubeconfig: exec plugin is refused with a message naming it") {
  std::string message = error_of(kubeconfig(
      server,
      "exec:\n  apiVersion: client.authentication.k8s.io/v1beta1\n  command: aws\n  args: [eks]"));
  CHECK_THAT(message, Contains("user \"u\": exec credential plugins (command: aws) are not "
                               "supported; use a token, tokenFile or client certificate"));
}

TEST_CASE("kubeconfig: an auth provider is refused, naming it") {
  CHECK_THAT(error_of(kubeconfig(server, "auth-provider:\n  name: gcp\n  config: {}")),
             Contains("auth provider \"gcp\" is not supported"));
}

TEST_CASE("kubeconfig: basic authentication is refused") {
  CHECK_THAT(error_of(kubeconfig(server, "username: admin\npassword: secret")),
             Contains("basic authentication (username/password) is not supported"));
}

TEST_CASE("kubeconfig: impersonation is refused rather than ignored") {
  CHECK_THAT(error_of(kubeconfig(server, "token: abc\nas: someone")),
             Contains("impersonation (`as`) is not supported"));
}

TEST_CASE("kubeconfig: insecure-skip-tls-verify together with a certificate authority is refused") {
  CHECK_THAT(
      error_of(kubeconfig(
          server + "\ninsecure-skip-tls-verify: true\ncertificate-authority-data: " + ca_b64)),
      Contains("specifying a root certificates file with the insecure flag is not allowed"));
}

TEST_CASE("kubeconfig: text that is not a YAML mapping is refused") {
  std::string message = error_of("clusters: [\n  {name: c\n");
  CHECK_THAT(message, Contains("not valid YAML"));
  CHECK_THAT(message, Contains("line "));
  CHECK_THAT(error_of("<html>not a kubeconfig</html>"), Contains("expected a mapping"));
  CHECK_THAT(error_of(""), Contains("empty"));
}

TEST_CASE("kubeconfig: wrong types are refused, naming the field") {
  CHECK_THAT(error_of("clusters: 5\n"), Contains("`clusters` must be a list, not a number"));
  CHECK_THAT(error_of(kubeconfig("server: 6443")), Contains("`server` must be a string"));
  CHECK_THAT(error_of(kubeconfig(server + "\ninsecure-skip-tls-verify: \"true\"")),
             Contains("`insecure-skip-tls-verify` must be true or false"));
  CHECK_THAT(error_of("users: [{name: u, user: [token]}]\n"),
             Contains("`user` must be a mapping, not a list"));
  CHECK_THAT(error_of("contexts: [{context: {cluster: c}}]\n"), Contains("has no name"));
}

TEST_CASE("kubeconfig: an unreadable tokenFile is refused, naming the path") {
  CHECK_THAT(error_of(kubeconfig(server, "tokenFile: /nonexistent/token")),
             Contains("user \"u\": cannot read bearer token file /nonexistent/token"));
}

TEST_CASE("kubeconfig: load_kubeconfig names a file it cannot read") {
  temp_dir dir;
  std::string path = dir.path() + "/absent";
  CHECK_THROWS_WITH(k8s::load_kubeconfig(path), Contains(path) && Contains("No such file"));
}
