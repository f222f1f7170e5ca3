#pragma once
// The operator's Prometheus metrics. Counters and gauges are atomics inside prometheus-cpp, so
// updating them from any actor or client thread takes no lock on the hot path; only adding or
// removing a labelled series (a cluster appearing or going) takes its family's lock.

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <chrono>
#include <memory>
#include <string>

#include "k8s/client.hpp"

namespace actors {

class operator_metrics {
 public:
  operator_metrics();

  prometheus::Registry& registry() { return *registry_; }
  // The text exposition format, with the process's own figures (RSS, CPU) read at the time.
  std::string serialize();

  // k8s client observer: every completed API request.
  void observe_request(const k8s::request_record& r);
  // A reconcile's outcome: "success", "requeue" or "error".
  void reconcile_done(const std::string& result, std::chrono::steady_clock::duration took);
  void actor_restarted();
  void set_leader(bool leading);
  void set_watch_counts(uint64_t restarts, uint64_t relists);
  // The API clients' requests sent and unanswered, and waiting for a token or a slot.
  void set_requests(const std::string& client, int in_flight, size_t waiting);
  void set_managed(size_t clusters, size_t pods);
  // How long each watch has been without an event (bookmarks count), -1 before its first; and
  // how many objects' changes it has delivered.
  void set_watch_progress(const std::string& resource, const std::string& ns, double seconds,
                          uint64_t events);

  // KubeRay's cluster metrics, so existing dashboards keep working.
  void cluster_seen(const std::string& ns, const std::string& name, const std::string& uid);
  void cluster_gone(const std::string& ns, const std::string& name, const std::string& uid);
  void cluster_provisioned(const std::string& ns, const std::string& name, const std::string& uid,
                           bool provisioned, double seconds_since_creation);

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& request_seconds_;
  prometheus::Family<prometheus::Counter>& reconciles_;
  prometheus::Histogram& reconcile_seconds_;
  prometheus::Gauge& resident_bytes_;
  prometheus::Gauge& cpu_seconds_;
  prometheus::Counter& actor_restarts_;
  prometheus::Gauge& leader_;
  prometheus::Gauge& watch_restarts_;
  prometheus::Gauge& watch_relists_;
  prometheus::Gauge& clusters_;
  prometheus::Gauge& pods_;
  prometheus::Family<prometheus::Gauge>& requests_in_flight_;
  prometheus::Family<prometheus::Gauge>& requests_waiting_;
  prometheus::Family<prometheus::Gauge>& watch_silence_;
  prometheus::Family<prometheus::Gauge>& watch_events_;
  prometheus::Family<prometheus::Gauge>& cluster_info_;
  prometheus::Family<prometheus::Gauge>& cluster_provisioned_;
  prometheus::Family<prometheus::Gauge>& cluster_provisioned_seconds_;
};

}  // namespace actors
