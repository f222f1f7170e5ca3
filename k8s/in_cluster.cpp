// The in-cluster service-account environment, and the choice between it and a kubeconfig.

#include <cstdlib>
#include <filesystem>
#include <utility>

#include "k8s/config.hpp"
#include "k8s/read_file.hpp"

namespace k8s {

namespace {

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

std::string first_kubeconfig_entry() {
  std::string list = env("KUBECONFIG");
  size_t start = 0;
  while (start <= list.size()) {
    size_t end = list.find(':', start);
    if (end == std::string::npos) end = list.size();
    if (end > start) return list.substr(start, end - start);
    start = end + 1;
  }
  return {};
}

std::string home_kubeconfig() {
  std::string home = env("HOME");
  return home.empty() ? "" : home + "/.kube/config";
}

std::string trim(const std::string& s) {
  const char* space = " \t\r\n";
  size_t begin = s.find_first_not_of(space);
  if (begin == std::string::npos) return {};
  return s.substr(begin, s.find_last_not_of(space) - begin + 1);
}

}  // namespace

config in_cluster_config(const std::string& sa_dir, std::chrono::milliseconds token_refresh) {
  const std::string origin = "in-cluster (" + sa_dir + ")";
  std::string host = env("KUBERNETES_SERVICE_HOST");
  std::string port = env("KUBERNETES_SERVICE_PORT");
  for (const auto& [name, value] :
       {std::pair{"KUBERNETES_SERVICE_HOST", host}, std::pair{"KUBERNETES_SERVICE_PORT", port}}) {
    if (value.empty()) {
      throw config_error(origin + ": " + name +
                         " is not set; it is set in every pod, so this is not running in one");
    }
  }
  if (host.find(':') != std::string::npos && host.front() != '[') host = "[" + host + "]";

  config out;
  out.origin = origin;
  out.server = "https://" + host + ":" + port;
  try {
    out.token = token_source::from_file(sa_dir + "/token", token_refresh);
  } catch (const config_error& e) {
    throw config_error(origin + ": " + e.what());
  }

  std::string reason;
  auto ca = detail::read_file(sa_dir + "/ca.crt", reason);
  if (!ca) throw config_error(origin + ": cannot read " + sa_dir + "/ca.crt: " + reason);
  out.tls.ca_pem = std::move(*ca);

  // Optional, as in client-go: without it the pod's own namespace is unknown, not an error.
  if (auto ns = detail::read_file(sa_dir + "/namespace", reason)) {
    std::string name = trim(*ns);
    if (!name.empty()) out.default_namespace = name;
  }
  return out;
}

std::string default_kubeconfig_path() {
  std::string first = first_kubeconfig_entry();
  return first.empty() ? home_kubeconfig() : first;
}

config load_default_config(const std::string& kubeconfig_path, const std::string& context) {
  if (!kubeconfig_path.empty()) return load_kubeconfig(kubeconfig_path, context);
  std::string from_env = first_kubeconfig_entry();
  if (!from_env.empty()) return load_kubeconfig(from_env, context);
  if (!env("KUBERNETES_SERVICE_HOST").empty()) {
    // The in-cluster environment has no contexts; quietly ignoring a requested one could
    // hide a deployment that was meant to point elsewhere.
    if (!context.empty()) {
      throw config_error("context \"" + context +
                         "\" was requested, but there is no kubeconfig and the in-cluster "
                         "configuration has no contexts (set KUBECONFIG or use --kubeconfig)");
    }
    // The directory can be moved for tests that play "in-cluster" from outside a pod.
    const std::string sa_dir = env("RAY_OPERATOR_SERVICE_ACCOUNT_DIR");
    return in_cluster_config(sa_dir.empty() ? default_service_account_dir : sa_dir);
  }
  std::string home = home_kubeconfig();
  std::error_code ec;
  if (!home.empty() && std::filesystem::exists(home, ec)) return load_kubeconfig(home, context);
  throw config_error(
      "no kubeconfig found and not running in a cluster (set KUBECONFIG or use --kubeconfig)");
}

}  // namespace k8s
