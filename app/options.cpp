#include "app/options.hpp"

#include <algorithm>
#include <boost/program_options.hpp>
#include <cstdlib>
#include <sstream>

#include "k8s/names.hpp"

namespace app {

namespace po = boost::program_options;

namespace {

std::vector<std::string> split_commas(const std::vector<std::string>& values) {
  std::vector<std::string> out;
  for (const auto& v : values) {
    std::stringstream in(v);
    std::string item;
    while (std::getline(in, item, ','))
      if (!item.empty()) out.push_back(item);
  }
  return out;
}

}  // namespace

parse_outcome parse_options(int argc, const char* const argv[]) {
  options o;
  std::vector<std::string> namespaces;
  po::options_description desc(
      "ray-operator: a Kubernetes operator for Ray clusters (RayCluster, ray.io/v1 and v1alpha1)"
      "\n\nUsage: ray-operator [options]\n\nOptions");
  desc.add_options()                                                         //
      ("help,h", po::bool_switch(&o.show_help), "print this help and exit")  //
      ("version", po::bool_switch(&o.show_version), "print the version and exit")(
          "kubeconfig", po::value(&o.kubeconfig),
          "kubeconfig file; default: $KUBECONFIG, then the in-cluster service account, then "
          "~/.kube/config")("context", po::value(&o.context),
                            "kubeconfig context; default: its current-context")(
          "namespaces", po::value(&namespaces)->composing(),
          "comma-separated namespaces to watch; default: all")(
          "qps", po::value(&o.qps)->default_value(o.qps),
          "sustained API requests per second (token bucket)")(
          "burst", po::value(&o.burst)->default_value(o.burst), "API request burst")(
          "request-timeout",
          po::value(&o.request_timeout_seconds)->default_value(o.request_timeout_seconds),
          "seconds an API request may go without a byte of its response before it fails")(
          "log-level", po::value(&o.log_level)->default_value(o.log_level),
          "trace, debug, info, warn or error")(
          "log-format", po::value(&o.log_format)->default_value(o.log_format), "text or json")(
          "metrics-addr", po::value(&o.metrics_addr)->default_value(o.metrics_addr),
          "address of the Prometheus /metrics endpoint, host:port (\":8080\" is every interface); "
          "\"0\" turns it off")("health-addr",
                                po::value(&o.health_addr)->default_value(o.health_addr),
                                "address of /healthz and /readyz; \"0\" turns them off")(
          "leader-elect", po::bool_switch(&o.leader_elect),
          "run for leadership on a coordination.k8s.io Lease; only the leader reconciles")(
          "leader-election-namespace", po::value(&o.leader_election_namespace),
          "namespace of the Lease; default: the pod's own namespace in a cluster, else default")(
          "leader-election-id",
          po::value(&o.leader_election_id)->default_value(o.leader_election_id),
          "name of the Lease")(
          "gcs-ft-redis-cleanup",
          po::value(&o.gcs_ft_redis_cleanup)->default_value(o.gcs_ft_redis_cleanup),
          "with GCS fault tolerance on Redis, delete a RayCluster's keys from Redis before it "
          "is deleted (finalizer ray.io/gcs-ft-redis-cleanup-finalizer); the environment "
          "variable ENABLE_GCS_FT_REDIS_CLEANUP=false also turns it off")(
          "fault-injection", po::bool_switch(&o.fault_injection),
          "testing only: a RayCluster annotated ray-operator.dev/fail-reconcile=true makes its "
          "reconciler fail")(
          "test-pod-env", po::value(&o.test_pod_env),
          "testing only, with --fault-injection: NAME=value added to every Ray pod the operator "
          "derives, as a newer build that derives pods differently would");

  parse_outcome out;
  std::ostringstream help;
  help << desc;
  out.help = help.str();
  try {
    po::variables_map vm;
    po::store(po::parse_command_line(argc, argv, desc), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    out.error = e.what();
    return out;
  }
  o.namespaces = split_commas(namespaces);
  if (const char* env = std::getenv("ENABLE_GCS_FT_REDIS_CLEANUP");
      env && std::string(env) == "false")
    o.gcs_ft_redis_cleanup = false;
  if (o.qps < 0) out.error = "--qps must not be negative";
  if (o.burst < 1) out.error = "--burst must be at least 1";
  if (o.request_timeout_seconds < 1) out.error = "--request-timeout must be at least 1 second";
  if (auto why = k8s::validate_dns1123_subdomain(o.leader_election_id); !why.empty())
    out.error =
        "--leader-election-id '" + o.leader_election_id + "' is not a valid Lease name: " + why;
  if (o.log_format != "text" && o.log_format != "json")
    out.error = "--log-format must be text or json, not '" + o.log_format + "'";
  static const char* levels[] = {"trace", "debug", "info", "warn", "error"};
  if (std::find(std::begin(levels), std::end(levels), o.log_level) == std::end(levels))
    out.error = "--log-level must be one of trace, debug, info, warn, error";
  if (out.error.empty()) out.parsed = std::move(o);
  return out;
}

}  // namespace app
