#pragma once
// The operator's command line. Parsing is kept apart from main() so it can be unit-tested.

#include <optional>
#include <string>
#include <vector>

namespace app {

struct options {
  std::string kubeconfig;               // empty: $KUBECONFIG, in-cluster, then ~/.kube/config
  std::string context;                  // kubeconfig context; empty: current-context
  std::vector<std::string> namespaces;  // empty: every namespace
  double qps = 100;
  int burst = 200;
  int request_timeout_seconds = 30;    // no byte of a response for this long fails the request
  std::string log_level = "info";      // trace, debug, info, warn, error
  std::string log_format = "text";     // text or json
  std::string metrics_addr = ":8080";  // /metrics; "0": off
  std::string health_addr = ":8082";   // /healthz and /readyz; "0": off
  bool leader_elect = false;
  std::string leader_election_namespace;  // empty: the in-cluster namespace, else "default"
  std::string leader_election_id = "ray-operator-leader";
  // GCS fault tolerance with Redis: delete a RayCluster's keys before it goes (a finalizer).
  // KubeRay's ENABLE_GCS_FT_REDIS_CLEANUP=false turns it off as well.
  bool gcs_ft_redis_cleanup = true;
  bool fault_injection = false;  // testing only: honour ray-operator.dev/fail-reconcile
  std::string test_pod_env;      // testing only: NAME=value in every derived Ray pod
  bool show_help = false;
  bool show_version = false;
};

struct parse_outcome {
  std::optional<options> parsed;  // empty on error
  std::string error;              // one line saying what was wrong
  std::string help;               // the --help text
};

parse_outcome parse_options(int argc, const char* const argv[]);

}  // namespace app
