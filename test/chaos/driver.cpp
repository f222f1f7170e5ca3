#include "test/chaos/driver.hpp"

#include <signal.h>
#include <spdlog/spdlog.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fstream>
#include <future>
#include <thread>

namespace chaos {

namespace {

using nlohmann::json;
namespace http = boost::beast::http;
const k8s::resource rayclusters{"ray.io", "v1", "rayclusters", "RayCluster", true};

std::pair<std::string, std::string> split_key(const std::string& key) {
  const auto slash = key.find('/');
  return {key.substr(0, slash), key.substr(slash + 1)};
}

// The faults of a storm: the proxy command, and how long it lasts.
struct proxy_fault {
  const char* name;
  const char* command;
  int seconds;
};
const proxy_fault proxy_faults[] = {
    {"watch cut", "/cut", 0},
    {"429 storm", "/error?code=429&retry_after=1&seconds=4", 4},
    {"503 burst", "/error?code=503&seconds=3&percent=50", 3},
    {"500 on writes", "/error?code=500&seconds=3&percent=30&methods=POST,PATCH,PUT,DELETE", 3},
    {"latency", "/latency?ms=300&seconds=5", 5},
    {"blackhole", "/blackhole?seconds=5", 5},
    {"dropped requests", "/drop?percent=20&seconds=4", 4},
    {"410 on resume", "/gone?count=4&seconds=5", 5},
};

}  // namespace

driver::driver(k8s::client& api, observer& checker, soak_options options)
    : api_(api), checker_(checker), options_(std::move(options)), random_(options_.seed) {}

bool driver::patch(const std::string& cluster, json json_patch) {
  auto [ns, name] = split_key(cluster);
  std::promise<bool> done;
  api_.patch(rayclusters, ns, name, k8s::patch_type::json, std::move(json_patch),
             [&](k8s::result<json> r) {
               if (!r) spdlog::info("soak: patch of {}: {}", cluster, r.error().describe());
               done.set_value(bool(r));
             });
  return done.get_future().get();
}

bool driver::proxy(const std::string& command) {
  try {
    const auto colon = options_.proxy_control.rfind(':');
    boost::asio::io_context io;
    boost::asio::ip::tcp::resolver resolver(io);
    boost::asio::ip::tcp::socket socket(io);
    boost::asio::connect(socket, resolver.resolve(options_.proxy_control.substr(0, colon),
                                                  options_.proxy_control.substr(colon + 1)));
    http::request<http::empty_body> req{http::verb::post, command, 11};
    req.set(http::field::host, options_.proxy_control);
    http::write(socket, req);
    boost::beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(socket, buffer, res);
    if (res.result() != http::status::ok) spdlog::warn("soak: proxy {}: {}", command, res.body());
    return res.result() == http::status::ok;
  } catch (const std::exception& e) {
    spdlog::warn("soak: proxy {}: {}", command, e.what());
    return false;
  }
}

void driver::note_fault_until(std::chrono::seconds from_now) {
  last_fault_end_ = std::max(last_fault_end_, epoch_now() + double(from_now.count()));
}

void driver::scale_up(const std::string& cluster, int64_t desired) {
  const int64_t to = std::min(options_.max_replicas,
                              desired + std::uniform_int_distribution<int64_t>(1, 3)(random_));
  if (to == desired) return;
  if (patch(cluster, json::array({{{"op", "replace"},
                                   {"path", "/spec/workerGroupSpecs/0/replicas"},
                                   {"value", to}}})))
    ++actions_["scale up"];
}

void driver::scale_down(const std::string& cluster, int64_t desired) {
  auto [ns, name] = split_key(cluster);
  auto live = checker_.with([&](invariants& i) { return i.live_workers(cluster, "w"); });
  if (live.empty() || desired == 0) return;
  std::shuffle(live.begin(), live.end(), random_);
  const int64_t k = std::min<int64_t>(
      {int64_t(live.size()), desired, std::uniform_int_distribution<int64_t>(1, 2)(random_)});
  // As the autoscaler does: the lower count and the pods that go, in one patch. Names sent
  // before whose pods are still there stay in the list (a name whose pod is gone is done).
  std::vector<std::string> names;
  for (const auto& n : named_[cluster])
    if (checker_.with([&](invariants& i) { return i.exists(ns, n); })) names.push_back(n);
  for (int64_t i = 0; i < k; ++i) names.push_back(live[i]);
  if (patch(cluster, json::array({{{"op", "replace"},
                                   {"path", "/spec/workerGroupSpecs/0/replicas"},
                                   {"value", desired - k}},
                                  {{"op", "replace"},
                                   {"path", "/spec/workerGroupSpecs/0/scaleStrategy"},
                                   {"value", {{"workersToDelete", names}}}}}))) {
    named_[cluster] = names;
    ++actions_["scale down, naming the pods"];
  }
}

void driver::fail_pod(const std::string& cluster) {
  auto [ns, name] = split_key(cluster);
  auto live = checker_.with([&](invariants& i) { return i.live_workers(cluster, "w"); });
  if (live.empty()) return;
  const std::string pod = live[std::uniform_int_distribution<size_t>(0, live.size() - 1)(random_)];
  checker_.with([&](invariants& i) {
    i.failure_requested(ns, pod);
    return 0;
  });
  std::promise<bool> done;
  api_.patch(k8s::resources::pods, ns, pod, k8s::patch_type::merge,
             {{"metadata", {{"annotations", {{"sandbox.ray-operator.dev/fail", "1"}}}}}},
             [&](k8s::result<json> r) { done.set_value(bool(r)); });
  if (done.get_future().get()) ++actions_["pod failed"];
}

void driver::edit(const std::string& cluster) {
  // What users change while clusters run: a label, a pod template annotation (the group's
  // pods become outdated; the strategy, None, replaces none), and maxReplicas.
  const std::string n = std::to_string(++edits_);
  json op;
  switch (edits_ % 3) {
    case 0:
      op = {{"op", "add"}, {"path", "/metadata/labels/chaos-edit"}, {"value", n}};
      break;
    case 1:
      op = {{"op", "add"},
            {"path", "/spec/workerGroupSpecs/0/template/metadata/annotations/chaos-edit"},
            {"value", n}};
      break;
    default:
      op = {{"op", "replace"},
            {"path", "/spec/workerGroupSpecs/0/maxReplicas"},
            {"value", options_.max_replicas + (edits_ % 2 ? 2 : 0)}};
  }
  if (patch(cluster, json::array({op}))) ++actions_["user edit"];
}

void driver::fault() {
  const auto& f =
      proxy_faults[std::uniform_int_distribution<size_t>(0, std::size(proxy_faults) - 1)(random_)];
  // A 410 needs a resume to answer: the watches are cut so that they resume.
  if (proxy(f.command) && (std::string(f.name) != "410 on resume" || proxy("/cut"))) {
    ++actions_[std::string("fault: ") + f.name];
    note_fault_until(std::chrono::seconds(f.seconds));
  }
}

void driver::kill_operator() {
  std::ifstream in(options_.operator_pid_file);
  pid_t pid = 0;
  if (!(in >> pid) || pid <= 0) return;
  if (::kill(pid, SIGKILL) == 0) {
    ++actions_["operator SIGKILL"];
    note_fault_until(std::chrono::seconds(0));
  }
}

void driver::act() {
  auto clusters = checker_.with([](invariants& i) { return i.desired(); });
  if (clusters.empty()) return;
  auto it = clusters.begin();
  std::advance(it, std::uniform_int_distribution<size_t>(0, clusters.size() - 1)(random_));
  const std::string cluster = it->first;
  const int64_t desired = it->second.count("w") ? it->second.at("w") : 0;
  const int roll = std::uniform_int_distribution<int>(0, 99)(random_);
  if (roll < 25)
    scale_up(cluster, desired);
  else if (roll < 50)
    scale_down(cluster, desired);
  else if (roll < 60)
    fail_pod(cluster);
  else if (roll < 70)
    edit(cluster);
  else if (roll < 95)
    fault();
  else
    kill_operator();
}

void driver::run() {
  using namespace std::chrono;
  const auto end = steady_clock::now() + options_.duration;
  while (steady_clock::now() < end) {
    ++storms_;
    checker_.with([](invariants& i) {
      i.fault_started();
      return 0;
    });
    const auto storm_end = std::min(end, steady_clock::now() + options_.storm);
    spdlog::info("soak: storm {}", storms_);
    while (steady_clock::now() < storm_end) {
      act();
      std::this_thread::sleep_for(
          milliseconds(std::uniform_int_distribution<int>(500, 1500)(random_)));
    }
    // Quiet: the last fault runs out, then every cluster must converge within the deadline.
    while (epoch_now() < last_fault_end_) std::this_thread::sleep_for(milliseconds(100));
    proxy("/reset");
    const double quiet_from = std::max(last_fault_end_, epoch_now());
    checker_.with([&](invariants& i) {
      i.expect_convergence(quiet_from);
      return 0;
    });
    spdlog::info("soak: quiet after storm {}", storms_);
    const auto wait_until = steady_clock::now() + seconds(15);
    size_t judged = 0;
    while (steady_clock::now() < wait_until) {
      auto r = checker_.report();
      judged = r["convergence_seconds"].size();
      size_t late = 0;
      for (const auto& v : r["violations"]) late += v["kind"] == "converge";
      if (judged + late >= size_t(storms_)) break;
      std::this_thread::sleep_for(milliseconds(200));
    }
  }
}

json driver::summary() const {
  return {{"storms", storms_}, {"actions", actions_}};
}

}  // namespace chaos
