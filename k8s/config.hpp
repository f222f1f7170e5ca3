#pragma once
// Where the API server is and how to talk to it, from a kubeconfig file or from the in-cluster
// service-account environment. Anything we cannot honour (exec plugins, auth providers,
// username/password) fails loudly with a config_error that names it, instead of being ignored.

#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include "k8s/token_source.hpp"

namespace k8s {

class config_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// TLS material as PEM text: files named in a kubeconfig are read when it is loaded, and
// `*-data` fields are base64-decoded, so the transport never touches the disk for them.
struct tls_material {
  std::string ca_pem;  // empty: the system trust store
  std::string client_cert_pem;
  std::string client_key_pem;
  bool insecure_skip_verify = false;  // only when the kubeconfig says so explicitly
  std::string server_name;            // kubeconfig tls-server-name; empty: the server's host
};

struct config {
  std::string server;  // "https://127.0.0.1:6443", no trailing slash
  tls_material tls;
  std::shared_ptr<token_source> token;  // null: no bearer token (e.g. client certificates)
  std::string default_namespace = "default";
  std::string origin;  // for log lines: "in-cluster" or "kubeconfig <path>, context <name>"
};

constexpr const char* default_service_account_dir = "/var/run/secrets/kubernetes.io/serviceaccount";

// In-cluster: KUBERNETES_SERVICE_HOST / KUBERNETES_SERVICE_PORT from the environment, and
// `token`, `ca.crt`, `namespace` from `sa_dir`. The token is re-read every `token_refresh`.
config in_cluster_config(const std::string& sa_dir = default_service_account_dir,
                         std::chrono::milliseconds token_refresh = token_source::default_refresh);

// A kubeconfig: the named context, or `current-context` when `context` is empty. Relative
// file paths in it are resolved against the kubeconfig's own directory.
config load_kubeconfig(const std::string& path, const std::string& context = {});
config parse_kubeconfig(const std::string& yaml_text, const std::string& base_dir,
                        const std::string& context = {}, const std::string& origin = "kubeconfig");

// The first file in $KUBECONFIG, else ~/.kube/config; empty when neither is set.
std::string default_kubeconfig_path();

// What the operator does at start-up: an explicit kubeconfig path wins; then $KUBECONFIG;
// then the in-cluster environment when KUBERNETES_SERVICE_HOST is set (its service-account
// directory moved by $RAY_OPERATOR_SERVICE_ACCOUNT_DIR when set); then ~/.kube/config.
config load_default_config(const std::string& kubeconfig_path = {},
                           const std::string& context = {});

}  // namespace k8s
