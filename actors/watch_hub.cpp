#include "actors/watch_hub.hpp"

#include <spdlog/spdlog.h>

#include <unordered_set>

#include "actors/observed_child.hpp"
#include "k8s/object_meta.hpp"
#include "ray/constants.hpp"

namespace actors {

namespace {

const k8s::resource rayclusters{ray::api_group, ray::storage_version, "rayclusters", ray::kind,
                                true};

void log_error(const std::string& what, const k8s::api_error& e) {
  spdlog::warn("watch {}: {}; retrying", what, e.describe());
}

}  // namespace

watch_hub::watch_hub(k8s::client& api, cluster_supervisor_actor supervisor,
                     std::vector<std::string> namespaces)
    : api_(api), supervisor_(std::move(supervisor)), namespaces_(std::move(namespaces)) {
  const std::vector<std::string> scopes =
      namespaces_.empty() ? std::vector<std::string>{""} : namespaces_;
  for (const auto& ns : scopes) {
    add_raycluster_watch(ns);
    for (const auto* type :
         {&k8s::resources::pods, &k8s::resources::services, &k8s::resources::statefulsets,
          &k8s::resources::serviceaccounts, &k8s::resources::roles, &k8s::resources::rolebindings})
      add_child_watch(*type, ns);
  }
}

watch_hub::~watch_hub() {
  stop();
}

void watch_hub::start() {
  for (auto& w : watchers_) w->start();
}

void watch_hub::stop() {
  for (auto& w : watchers_) w->stop();
}

bool watch_hub::synced() const {
  for (const auto& w : watchers_)
    if (!w->synced()) return false;
  return true;
}

uint64_t watch_hub::relists() const {
  uint64_t n = 0;
  for (const auto& w : watchers_) n += w->relists();
  return n;
}

uint64_t watch_hub::watch_restarts() const {
  uint64_t n = 0;
  for (const auto& w : watchers_) n += w->watch_restarts();
  return n;
}

void watch_hub::add_raycluster_watch(const std::string& ns) {
  // The snapshot of a list in progress; only this watch's thread touches it.
  auto snapshot = std::make_shared<std::vector<nlohmann::json>>();
  auto sup = supervisor_;
  watchers_.push_back(std::make_unique<k8s::watcher>(
      api_, rayclusters, ns, k8s::watcher_options{},
      [sup, snapshot](k8s::watcher_event e) {
        using kind = k8s::watcher_event::kind;
        switch (e.type) {
          case kind::init:
            snapshot->clear();
            break;
          case kind::init_apply:
            snapshot->push_back(std::move(e.object));
            break;
          case kind::init_done:
            caf::anon_send(sup, resync_atom::value, std::move(*snapshot));
            snapshot->clear();
            break;
          case kind::apply:
            caf::anon_send(sup, apply_atom::value, std::move(e.object));
            break;
          case kind::remove:
            caf::anon_send(sup, remove_atom::value,
                           cluster_key{k8s::namespace_of(e.object), k8s::name(e.object)});
            break;
        }
      },
      [](const k8s::api_error& e) { log_error("rayclusters", e); }));
}

void watch_hub::add_child_watch(const k8s::resource& type, const std::string& ns) {
  k8s::watcher_options options;
  // Only what this operator created: ray.io/cluster alone would also match KubeRay's pods.
  options.label_selector =
      std::string(ray::label_cluster) + "," + ray::label_created_by + "=" + ray::created_by;
  auto sup = supervisor_;
  const bool pods = type.plural == "pods";
  auto first_list_done = std::make_shared<bool>(false);
  // Names of the pods seen, to report how many there are; only this watch's thread uses it.
  auto pod_names = std::make_shared<std::unordered_set<std::string>>();
  auto pod_count = pods_;
  watchers_.push_back(std::make_unique<k8s::watcher>(
      api_, type, ns, options,
      [sup, pods, first_list_done, pod_names, pod_count](k8s::watcher_event e) {
        using kind = k8s::watcher_event::kind;
        if (pods) {
          if (e.type == kind::init) pod_names->clear();
          const std::string id = k8s::namespace_of(e.object) + "/" + k8s::name(e.object);
          if (e.type == kind::remove)
            pod_names->erase(id);
          else if (e.object.is_object())
            pod_names->insert(id);
          *pod_count = pod_names->size();
        }
        if (e.type == kind::init) return;
        if (e.type == kind::init_done) {
          // After a relist, objects deleted meanwhile were never reported: every cluster lists
          // its own children again. (After the first list, clusters list themselves anyway.)
          if (*first_list_done) caf::anon_send(sup, resync_atom::value);
          *first_list_done = true;
          return;
        }
        const cluster_key key = cluster_of(e.object);
        if (key.name.empty()) return;
        const bool removed = e.type == kind::remove;
        if (pods) {
          auto pod = ray::reduce_pod(e.object);
          if (removed)
            caf::anon_send(sup, pod_atom::value, remove_atom::value, key, std::move(pod));
          else
            caf::anon_send(sup, pod_atom::value, apply_atom::value, key, std::move(pod));
        } else {
          auto child = reduce_child(e.object);
          if (removed)
            caf::anon_send(sup, child_atom::value, remove_atom::value, key, std::move(child));
          else
            caf::anon_send(sup, child_atom::value, apply_atom::value, key, std::move(child));
        }
      },
      [plural = type.plural](const k8s::api_error& e) { log_error(plural, e); }));
}

}  // namespace actors
