#include "test/chaos/observer.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "k8s/object_meta.hpp"

namespace chaos {

namespace {

const k8s::resource rayclusters{"ray.io", "v1", "rayclusters", "RayCluster", true};

}  // namespace

double epoch_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

observer::observer(k8s::client& api, std::string ns, std::string report_file,
                   std::string commands_file, checker_options options)
    : api_(api),
      ns_(std::move(ns)),
      report_file_(std::move(report_file)),
      commands_file_(std::move(commands_file)),
      invariants_(options) {}

observer::~observer() {
  stop();
}

void observer::start() {
  auto make = [&](const k8s::resource& type, bool pods) {
    k8s::watcher_options o;
    // The checker must see a change within a second or two, whatever the operator's side does.
    o.retry_backoff = {std::chrono::milliseconds(200), std::chrono::milliseconds(2000)};
    return std::make_unique<k8s::watcher>(
        api_, type, ns_, o, [this, pods](k8s::watcher_event e) { on_event(pods, std::move(e)); },
        [pods](const k8s::api_error& e) {
          spdlog::info("checker: watching {}: {}", pods ? "pods" : "rayclusters", e.describe());
        });
  };
  clusters_ = make(rayclusters, false);
  pods_ = make(k8s::resources::pods, true);
  clusters_->start();
  pods_->start();
  while (!clusters_->synced() || !pods_->synced())
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ticker_ = std::thread([this] { ticks(); });
}

void observer::stop() {
  if (stopping_.exchange(true)) return;
  if (ticker_.joinable()) ticker_.join();
  if (pods_) pods_->stop();
  if (clusters_) clusters_->stop();
}

void observer::on_event(bool pods, k8s::watcher_event e) {
  using kind = k8s::watcher_event::kind;
  const double now = epoch_now();
  std::lock_guard<std::mutex> lock(mutex_);
  auto& relist = pods ? relist_pods_ : relist_clusters_;
  switch (e.type) {
    case kind::init:
      relist.clear();
      break;
    case kind::init_apply:
      relist.push_back(std::move(e.object));
      break;
    case kind::init_done:
      if (pods)
        invariants_.pods_relisted(relist, now);
      else
        invariants_.rayclusters_relisted(relist, now);
      relist.clear();
      break;
    case kind::apply:
      if (pods)
        invariants_.pod(e.object, now);
      else
        invariants_.raycluster(e.object, now);
      break;
    case kind::remove:
      if (pods)
        invariants_.pod_removed(k8s::namespace_of(e.object), k8s::name(e.object), now);
      else
        invariants_.raycluster_removed(k8s::namespace_of(e.object), k8s::name(e.object), now);
      break;
  }
}

void observer::read_commands() {
  if (commands_file_.empty()) return;
  std::ifstream in(commands_file_);
  if (!in) return;
  in.seekg(static_cast<std::streamoff>(commands_read_));
  std::string line;
  // Only whole lines: a line being written is taken at the next tick.
  while (in.peek() != EOF) {
    const auto start = in.tellg();
    if (!std::getline(in, line) || in.eof()) {
      in.clear();
      in.seekg(start);
      break;
    }
    commands_read_ = static_cast<size_t>(in.tellg());
    std::istringstream words(line);
    std::string verb, arg;
    words >> verb >> arg;
    if (verb == "fault-start") {
      invariants_.fault_started();
    } else if (verb == "fault-end") {
      invariants_.fault_ended(std::stod(arg));
    } else if (verb == "expect") {
      invariants_.expect_convergence(std::stod(arg));
    } else if (verb == "failed") {
      const auto slash = arg.find('/');
      if (slash != std::string::npos)
        invariants_.failure_requested(arg.substr(0, slash), arg.substr(slash + 1));
    } else if (!verb.empty()) {
      spdlog::warn("checker: unknown command \"{}\"", line);
    }
  }
}

void observer::flush() {
  std::lock_guard<std::mutex> lock(mutex_);
  invariants_.flush();
}

nlohmann::json observer::report() {
  std::lock_guard<std::mutex> lock(mutex_);
  auto r = invariants_.report(epoch_now());
  r["watch"] = {{"pod_relists", pods_ ? pods_->relists() : 0},
                {"raycluster_relists", clusters_ ? clusters_->relists() : 0}};
  return r;
}

void observer::ticks() {
  auto next = std::chrono::steady_clock::now();
  while (!stopping_) {
    next += std::chrono::seconds(1);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      read_commands();
      invariants_.tick(epoch_now());
    }
    if (!report_file_.empty()) {
      const std::string tmp = report_file_ + ".tmp";
      std::ofstream(tmp) << report().dump(2) << "\n";
      std::rename(tmp.c_str(), report_file_.c_str());
    }
    while (!stopping_ && std::chrono::steady_clock::now() < next)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

}  // namespace chaos
