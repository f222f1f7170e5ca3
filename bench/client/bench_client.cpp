// bench-client: the benchmarks' load and their baseline, through the project's own client.
//
//   bench-client create-pods NS COUNT CLUSTER_NS CLUSTER
//                                                the baseline: COUNT pods created at once, each
//                                                the worker pod the operator builds for
//                                                CLUSTER's first group (as ray/ builds it)
//   bench-client patch-workers NS PREFIX CLUSTERS REPLICAS
//                                                every cluster PREFIX1..PREFIXn's first group
//                                                patched to REPLICAS at once
//   bench-client scale-latency NS PREFIX FIRST LAST
//                                                one cluster at a time, its first group patched
//                                                from 0 to 1: the time until its pod is seen,
//                                                and the patch's own round trip
//
// Each waits until the pods it caused are seen in a watch of the namespace and prints what it
// measured as `key value` lines (seconds, pods per second, milliseconds). The requests go
// through k8s::client with the limiter off and 16 requests in flight: HTTP/1.1 keep-alive over
// at most 16 connections, which is what "a plain concurrent client" means in docs/benchmarks.md.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "k8s/client.hpp"
#include "k8s/config.hpp"
#include "k8s/watcher.hpp"
#include "ray/children.hpp"
#include "ray/defaults.hpp"
#include "ray/updates.hpp"

using nlohmann::json;
using clock_type = std::chrono::steady_clock;

namespace {

constexpr int in_flight = 16;
const k8s::resource rayclusters{"ray.io", "v1", "rayclusters", "RayCluster", true};

double seconds_between(clock_type::time_point a, clock_type::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// The pods of a namespace as a watch shows them: when each name was first seen.
class pod_sightings {
 public:
  pod_sightings(k8s::client& api, const std::string& ns, const std::string& selector) {
    k8s::watcher_options o;
    o.label_selector = selector;
    watch_ = std::make_unique<k8s::watcher>(
        api, k8s::resources::pods, ns, o, [this](k8s::watcher_event e) { on_event(e); },
        [](const k8s::api_error& e) { spdlog::warn("watching pods: {}", e.describe()); });
    watch_->start();
    std::unique_lock lock(mu_);
    changed_.wait(lock, [&] { return synced_; });
  }
  ~pod_sightings() { watch_->stop(); }

  // Waits until `count` pods matching `match` have been seen; false at the deadline.
  template <class Match>
  bool wait_for(size_t count, Match match, clock_type::time_point deadline) {
    std::unique_lock lock(mu_);
    return changed_.wait_until(lock, deadline, [&] { return matching(match) >= count; });
  }
  // When the last of the pods matching `match` was first seen.
  template <class Match>
  clock_type::time_point last_seen(Match match) {
    std::lock_guard lock(mu_);
    clock_type::time_point last{};
    for (const auto& [name, s] : seen_)
      if (match(s)) last = std::max(last, s.at);
    return last;
  }

  // Seconds from `t0` at which the pods matching `match` were first seen, in order.
  template <class Match>
  std::vector<double> times_since(clock_type::time_point t0, Match match) {
    std::lock_guard lock(mu_);
    std::vector<double> out;
    for (const auto& [name, s] : seen_)
      if (match(s)) out.push_back(seconds_between(t0, s.at));
    std::sort(out.begin(), out.end());
    return out;
  }

  struct sighting {
    clock_type::time_point at;
    std::string cluster;  // ray.io/cluster, empty on other pods
  };

 private:
  template <class Match>
  size_t matching(Match match) const {
    return static_cast<size_t>(
        std::count_if(seen_.begin(), seen_.end(), [&](const auto& p) { return match(p.second); }));
  }
  void on_event(const k8s::watcher_event& e) {
    std::lock_guard lock(mu_);
    if (e.type == k8s::watcher_event::kind::init_done) synced_ = true;
    if (e.type == k8s::watcher_event::kind::apply ||
        e.type == k8s::watcher_event::kind::init_apply) {
      const auto& meta = e.object["metadata"];
      const std::string name = meta.value("name", "");
      if (!seen_.count(name)) {
        std::string cluster;
        if (auto l = meta.find("labels"); l != meta.end() && l->contains("ray.io/cluster"))
          cluster = (*l)["ray.io/cluster"].get<std::string>();
        seen_[name] = {clock_type::now(), std::move(cluster)};
      }
    }
    changed_.notify_all();
  }

  std::mutex mu_;
  std::condition_variable changed_;
  bool synced_ = false;
  std::map<std::string, sighting> seen_;
  std::unique_ptr<k8s::watcher> watch_;
};

// Calls issued at once (the client keeps `in_flight` of them on the wire); waits for all.
class completion_count {
 public:
  explicit completion_count(size_t n) : left_(n) {}
  k8s::client::json_callback callback(const char* what) {
    return [this, what](k8s::result<json> r) {
      if (!r.ok()) {
        failures_++;
        spdlog::warn("{}: {}", what, r.error().describe());
      }
      std::lock_guard lock(mu_);
      if (--left_ == 0) done_.notify_all();
    };
  }
  // The number of calls that failed.
  int wait() {
    std::unique_lock lock(mu_);
    done_.wait(lock, [&] { return left_ == 0; });
    return failures_;
  }

 private:
  std::mutex mu_;
  std::condition_variable done_;
  size_t left_;
  std::atomic<int> failures_{0};
};

// The worker pod the operator would create for `cluster`'s first group, built by the same
// functions of ray/ from the cluster as stored, made a baseline pod: named, labelled for the
// baseline's watch, and owned by nothing (it lives in another namespace than its cluster).
json operator_worker_pod(k8s::client& api, const std::string& ns, const std::string& cluster) {
  std::promise<k8s::result<json>> got;
  api.get(rayclusters, ns, cluster, [&](k8s::result<json> r) { got.set_value(std::move(r)); });
  k8s::result<json> stored = got.get_future().get();
  if (!stored.ok())
    throw std::runtime_error("getting RayCluster " + cluster + ": " + stored.error().describe());
  json pod = ray::desired_worker_pod(ray::with_defaults(stored.value()), 0,
                                     ray::user_spec_hashes(stored.value()));
  json& meta = pod["metadata"];
  meta.erase("generateName");
  meta.erase("ownerReferences");
  meta.erase("namespace");
  meta["labels"]["bench"] = "baseline";
  return pod;
}

json replicas_patch(int replicas) {
  return json::array(
      {{{"op", "replace"}, {"path", "/spec/workerGroupSpecs/0/replicas"}, {"value", replicas}}});
}

// BENCH_TIMELINE=FILE: when each pod was seen (seconds after the first request), one a line.
void write_timeline(const std::vector<double>& seconds) {
  const char* path = std::getenv("BENCH_TIMELINE");
  if (path == nullptr || *path == 0) return;
  if (FILE* f = std::fopen(path, "w")) {
    for (double v : seconds) std::fprintf(f, "%.3f\n", v);
    std::fclose(f);
  }
}

const auto deadline_after = [](int seconds) {
  return clock_type::now() + std::chrono::seconds(seconds);
};

int create_pods(k8s::client& api, const std::string& ns, int count, const json& pod) {
  pod_sightings pods(api, ns, "bench=baseline");
  completion_count calls(static_cast<size_t>(count));
  const auto t0 = clock_type::now();
  for (int i = 0; i < count; ++i) {
    json one = pod;
    one["metadata"]["name"] = "baseline-" + std::to_string(i);
    api.create(k8s::resources::pods, ns, std::move(one), calls.callback("creating a pod"),
               k8s::decode::metadata);
  }
  const int failed = calls.wait();
  const auto any = [](const pod_sightings::sighting&) { return true; };
  if (!pods.wait_for(static_cast<size_t>(count - failed), any, deadline_after(600))) return 1;
  const double s = seconds_between(t0, pods.last_seen(any));
  write_timeline(pods.times_since(t0, any));
  std::printf("pods %d\nfailed %d\nseconds %.3f\npods_per_second %.1f\n", count, failed, s,
              (count - failed) / s);
  return failed == 0 ? 0 : 1;
}

int patch_workers(k8s::client& api, const std::string& ns, const std::string& prefix, int clusters,
                  int replicas) {
  pod_sightings pods(api, ns, "ray.io/node-type=worker");
  completion_count calls(static_cast<size_t>(clusters));
  const auto t0 = clock_type::now();
  for (int i = 1; i <= clusters; ++i)
    api.patch(rayclusters, ns, prefix + std::to_string(i), k8s::patch_type::json,
              replicas_patch(replicas), calls.callback("patching a RayCluster"), {}, {},
              k8s::decode::metadata);
  const int failed = calls.wait();
  const auto patched = clock_type::now();
  // Pods already there (seen when the watch listed) are not part of the figure.
  const auto any = [](const pod_sightings::sighting&) { return true; };
  const auto made = [t0](const pod_sightings::sighting& p) { return p.at >= t0; };
  const size_t existing = pods.times_since(t0, [t0](const auto& p) { return p.at < t0; }).size();
  const size_t total = static_cast<size_t>(clusters) * static_cast<size_t>(replicas);
  if (!pods.wait_for(total, any, deadline_after(1800))) return 1;
  const size_t want = total - existing;
  const double s = seconds_between(t0, pods.last_seen(made));
  write_timeline(pods.times_since(t0, made));
  std::printf("pods %zu\nfailed %d\npatches_seconds %.3f\nseconds %.3f\npods_per_second %.1f\n",
              want, failed, seconds_between(t0, patched), s, want / s);
  return failed == 0 ? 0 : 1;
}

int scale_latency(k8s::client& api, const std::string& ns, const std::string& prefix, int first,
                  int last) {
  pod_sightings pods(api, ns, "ray.io/node-type=worker");
  // Per sample: patch sent to pod seen; and the part of it that is the API server's answer to
  // the patch itself (the baseline: the same write's round trip, measured in the same run).
  std::vector<double> ms, patch_ms;
  for (int i = first; i <= last; ++i) {
    const std::string name = prefix + std::to_string(i);
    const auto of_cluster = [&](const pod_sightings::sighting& s) { return s.cluster == name; };
    completion_count call(1);
    const auto t0 = clock_type::now();
    api.patch(rayclusters, ns, name, k8s::patch_type::json, replicas_patch(1),
              call.callback("patching a RayCluster"), {}, {}, k8s::decode::metadata);
    if (call.wait() != 0) return 1;
    patch_ms.push_back(seconds_between(t0, clock_type::now()) * 1000);
    if (!pods.wait_for(1, of_cluster, deadline_after(120))) return 1;
    ms.push_back(seconds_between(t0, pods.last_seen(of_cluster)) * 1000);
  }
  const auto print_percentiles = [](const char* prefix, std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const auto pct = [&](double p) {
      return v[std::min(v.size() - 1, static_cast<size_t>(p * v.size()))];
    };
    std::printf("%sp50_ms %.1f\n%sp90_ms %.1f\n%sp99_ms %.1f\n%smax_ms %.1f\n", prefix, pct(0.50),
                prefix, pct(0.90), prefix, pct(0.99), prefix, v.back());
  };
  std::printf("samples %zu\n", ms.size());
  print_percentiles("", ms);
  print_percentiles("patch_", patch_ms);
  std::printf("latencies_ms");
  for (double v : ms) std::printf(" %.1f", v);
  std::printf("\npatch_latencies_ms");
  for (double v : patch_ms) std::printf(" %.1f", v);
  std::printf("\n");
  return 0;
}

int usage() {
  std::fprintf(stderr,
               "usage: bench-client create-pods NS COUNT CLUSTER_NS CLUSTER\n"
               "       bench-client patch-workers NS PREFIX CLUSTERS REPLICAS\n"
               "       bench-client scale-latency NS PREFIX FIRST LAST\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() < 3) return usage();
  spdlog::set_level(spdlog::level::warn);
  k8s::client_options options;
  options.qps = 0;
  options.max_in_flight = in_flight;
  options.transport.user_agent = "bench-client";  // apart from the operator's in the audit log
  k8s::client api(k8s::load_default_config(), options);
  try {
    if (args[0] == "create-pods" && args.size() == 5)
      return create_pods(api, args[1], std::stoi(args[2]),
                         operator_worker_pod(api, args[3], args[4]));
    if (args[0] == "patch-workers" && args.size() == 5)
      return patch_workers(api, args[1], args[2], std::stoi(args[3]), std::stoi(args[4]));
    if (args[0] == "scale-latency" && args.size() == 5)
      return scale_latency(api, args[1], args[2], std::stoi(args[3]), std::stoi(args[4]));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench-client: %s\n", e.what());
    return 1;
  }
  return usage();
}
