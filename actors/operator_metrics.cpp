#include "actors/operator_metrics.hpp"

#include <prometheus/text_serializer.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <map>
#include <sstream>

namespace actors {

namespace {
using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;
}  // namespace

operator_metrics::operator_metrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      requests_(BuildCounter()
                    .Name("ray_operator_api_requests_total")
                    .Help("Kubernetes API requests by verb and HTTP status code (0: no response)")
                    .Register(*registry_)),
      request_seconds_(BuildHistogram()
                           .Name("ray_operator_api_request_duration_seconds")
                           .Help("Kubernetes API request latency by verb")
                           .Register(*registry_)),
      reconciles_(BuildCounter()
                      .Name("ray_operator_reconciles_total")
                      .Help("RayCluster reconciles by outcome (success, requeue or error)")
                      .Register(*registry_)),
      reconcile_seconds_(
          BuildHistogram()
              .Name("ray_operator_reconcile_duration_seconds")
              .Help("Time a RayCluster reconcile takes (deciding, not the writes)")
              .Register(*registry_)
              .Add({},
                   prometheus::Histogram::BucketBoundaries{0.0001, 0.00025, 0.0005, 0.001, 0.0025,
                                                           0.005, 0.01, 0.025, 0.05, 0.1})),
      // The names every Prometheus client library uses for its process.
      resident_bytes_(BuildGauge()
                          .Name("process_resident_memory_bytes")
                          .Help("Resident memory size in bytes")
                          .Register(*registry_)
                          .Add({})),
      cpu_seconds_(BuildGauge()
                       .Name("process_cpu_seconds_total")
                       .Help("Total user and system CPU time spent in seconds")
                       .Register(*registry_)
                       .Add({})),
      actor_restarts_(BuildCounter()
                          .Name("ray_operator_actor_restarts_total")
                          .Help("RayCluster reconcilers restarted after a failure")
                          .Register(*registry_)
                          .Add({})),
      leader_(BuildGauge()
                  .Name("ray_operator_leader")
                  .Help("1 while this process leads (or runs without leader election)")
                  .Register(*registry_)
                  .Add({})),
      watch_restarts_(BuildGauge()
                          .Name("ray_operator_watch_restarts")
                          .Help("Watches re-opened after the first, over all watched kinds")
                          .Register(*registry_)
                          .Add({})),
      watch_relists_(BuildGauge()
                         .Name("ray_operator_watch_relists")
                         .Help("Full relists after the first list (410 Gone), over all kinds")
                         .Register(*registry_)
                         .Add({})),
      clusters_(BuildGauge()
                    .Name("ray_operator_rayclusters_managed")
                    .Help("RayClusters this operator manages")
                    .Register(*registry_)
                    .Add({})),
      pods_(BuildGauge()
                .Name("ray_operator_pods_managed")
                .Help("Pods of the managed RayClusters")
                .Register(*registry_)
                .Add({})),
      requests_in_flight_(BuildGauge()
                              .Name("ray_operator_api_requests_in_flight")
                              .Help("API requests sent and not yet answered, by client (main, "
                                    "events)")
                              .Register(*registry_)),
      requests_waiting_(BuildGauge()
                            .Name("ray_operator_api_requests_waiting")
                            .Help("API requests waiting for a rate-limiter token or a slot, by "
                                  "client")
                            .Register(*registry_)),
      watch_silence_(BuildGauge()
                         .Name("ray_operator_watch_seconds_since_last_event")
                         .Help("Seconds since each watch last delivered an event or bookmark "
                               "(-1 before its first)")
                         .Register(*registry_)),
      watch_events_(BuildGauge()
                        .Name("ray_operator_watch_events")
                        .Help("Objects' changes (added, modified, deleted) each watch delivered "
                              "since the operator started")
                        .Register(*registry_)),
      cluster_info_(BuildGauge()
                        .Name("kuberay_cluster_info")
                        .Help("Metadata of each RayCluster (KubeRay-compatible)")
                        .Register(*registry_)),
      cluster_provisioned_(
          BuildGauge()
              .Name("kuberay_cluster_condition_provisioned")
              .Help("Whether each RayCluster has been provisioned (KubeRay-compatible)")
              .Register(*registry_)),
      cluster_provisioned_seconds_(
          BuildGauge()
              .Name("kuberay_cluster_provisioned_duration_seconds")
              .Help("Seconds from creation until a RayCluster was first provisioned "
                    "(KubeRay-compatible)")
              .Register(*registry_)) {}

std::string operator_metrics::serialize() {
  // /proc/self/stat: utime and stime are fields 14 and 15, in clock ticks; statm's second
  // field is the resident set in pages. The command (field 2) may hold spaces: skip past ')'.
  if (std::ifstream stat("/proc/self/stat"); stat) {
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    std::istringstream rest(text.substr(text.rfind(')') + 2));
    std::string field;
    double utime = 0, stime = 0;
    for (int i = 3; i <= 15 && rest >> field; ++i) {
      if (i == 14) utime = std::stod(field);
      if (i == 15) stime = std::stod(field);
    }
    cpu_seconds_.Set((utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK)));
  }
  if (std::ifstream statm("/proc/self/statm"); statm) {
    double size = 0, resident = 0;
    if (statm >> size >> resident)
      resident_bytes_.Set(resident * static_cast<double>(sysconf(_SC_PAGESIZE)));
  }
  return prometheus::TextSerializer().Serialize(registry_->Collect());
}

void operator_metrics::observe_request(const k8s::request_record& r) {
  requests_.Add({{"verb", r.verb}, {"code", std::to_string(r.status)}}).Increment();
  static const prometheus::Histogram::BucketBoundaries buckets{0.005, 0.01, 0.025, 0.05, 0.1,
                                                               0.25,  0.5,  1,     2.5,  10};
  request_seconds_.Add({{"verb", r.verb}}, buckets)
      .Observe(std::chrono::duration<double>(r.latency).count());
}

void operator_metrics::reconcile_done(const std::string& result,
                                      std::chrono::steady_clock::duration took) {
  reconciles_.Add({{"result", result}}).Increment();
  reconcile_seconds_.Observe(std::chrono::duration<double>(took).count());
}

void operator_metrics::set_watch_progress(const std::string& resource, const std::string& ns,
                                          double seconds, uint64_t events) {
  const std::map<std::string, std::string> labels{{"resource", resource},
                                                  {"namespace", ns.empty() ? "*" : ns}};
  watch_silence_.Add(labels).Set(seconds);
  watch_events_.Add(labels).Set(static_cast<double>(events));
}

void operator_metrics::actor_restarted() {
  actor_restarts_.Increment();
}
void operator_metrics::set_leader(bool leading) {
  leader_.Set(leading ? 1 : 0);
}

void operator_metrics::set_watch_counts(uint64_t restarts, uint64_t relists) {
  watch_restarts_.Set(static_cast<double>(restarts));
  watch_relists_.Set(static_cast<double>(relists));
}

void operator_metrics::set_requests(const std::string& client, int in_flight, size_t waiting) {
  requests_in_flight_.Add({{"client", client}}).Set(in_flight);
  requests_waiting_.Add({{"client", client}}).Set(static_cast<double>(waiting));
}

void operator_metrics::set_managed(size_t clusters, size_t pods) {
  clusters_.Set(static_cast<double>(clusters));
  pods_.Set(static_cast<double>(pods));
}

void operator_metrics::cluster_seen(const std::string& ns, const std::string& name,
                                    const std::string& uid) {
  cluster_info_.Add({{"name", name}, {"namespace", ns}, {"uid", uid}, {"owner_kind", "None"}})
      .Set(1);
}

void operator_metrics::cluster_gone(const std::string& ns, const std::string& name,
                                    const std::string& uid) {
  const std::map<std::string, std::string> id{{"name", name}, {"namespace", ns}, {"uid", uid}};
  auto info = id;
  info["owner_kind"] = "None";
  if (cluster_info_.Has(info)) cluster_info_.Remove(&cluster_info_.Add(info));
  for (const char* c : {"true", "false"}) {
    auto labels = id;
    labels["condition"] = c;
    if (cluster_provisioned_.Has(labels))
      cluster_provisioned_.Remove(&cluster_provisioned_.Add(labels));
  }
  if (cluster_provisioned_seconds_.Has(id))
    cluster_provisioned_seconds_.Remove(&cluster_provisioned_seconds_.Add(id));
}

void operator_metrics::cluster_provisioned(const std::string& ns, const std::string& name,
                                           const std::string& uid, bool provisioned,
                                           double seconds_since_creation) {
  std::map<std::string, std::string> labels{{"name", name}, {"namespace", ns}, {"uid", uid}};
  auto now = labels, other = labels;
  now["condition"] = provisioned ? "true" : "false";
  other["condition"] = provisioned ? "false" : "true";
  if (cluster_provisioned_.Has(other))
    cluster_provisioned_.Remove(&cluster_provisioned_.Add(other));
  cluster_provisioned_.Add(now).Set(1);
  if (provisioned && !cluster_provisioned_seconds_.Has(labels))
    cluster_provisioned_seconds_.Add(labels).Set(seconds_since_creation);
}

}  // namespace actors
