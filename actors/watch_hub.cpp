#include "actors/watch_hub.hpp"

#include <spdlog/spdlog.h>

#include "actors/observed_child.hpp"
#include "actors/raycluster_state.hpp"
#include "k8s/object_meta.hpp"
#include "ray/constants.hpp"

namespace actors {

namespace {

const k8s::resource rayclusters{ray::api_group, ray::storage_version, "rayclusters", ray::kind,
                                true};

void log_error(const std::string& what, const k8s::api_error& e) {
  spdlog::warn("watch {}: {}; retrying", what, e.describe());
}

using kind = k8s::watcher_event::kind;

}  // namespace

raycluster_ptr reduce_raycluster(nlohmann::json raycluster) {
  auto meta = raycluster.find("metadata");
  if (meta != raycluster.end() && meta->is_object()) {
    auto annotations = meta->find("annotations");
    if (annotations != meta->end() && annotations->is_object()) {
      annotations->erase("kubectl.kubernetes.io/last-applied-configuration");
      if (annotations->empty()) meta->erase(annotations);
    }
  }
  return std::make_shared<const nlohmann::json>(std::move(raycluster));
}

watch_hub::watch_hub(k8s::client& api, cluster_supervisor_actor supervisor,
                     std::vector<std::string> namespaces, const k8s::resource& hpa,
                     k8s::watcher_options options, bool cert_manager)
    : api_(api), supervisor_(std::move(supervisor)) {
  const std::vector<std::string> scopes =
      namespaces.empty() ? std::vector<std::string>{""} : namespaces;
  for (const auto& ns : scopes) {
    add_raycluster_watch(ns, options);
    for (const auto* type :
         {&k8s::resources::pods, &k8s::resources::services, &k8s::resources::statefulsets,
          &k8s::resources::deployments, &k8s::resources::serviceaccounts, &k8s::resources::roles,
          &k8s::resources::rolebindings, &hpa, &k8s::resources::persistentvolumeclaims,
          &k8s::resources::ingresses, &k8s::resources::networkpolicies, &k8s::resources::secrets})
      add_child_watch(*type, ns, options);
    if (cert_manager)
      for (const auto* type : {&cert_manager_issuers, &cert_manager_certificates})
        add_child_watch(*type, ns, options);
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

std::string watch_hub::stuck_watch() const {
  for (const auto& w : watchers_)
    if (w->stuck()) return w->type().plural + (w->scope().empty() ? "" : " in " + w->scope());
  return {};
}

std::vector<watch_hub::watch_progress> watch_hub::progress() const {
  std::vector<watch_progress> out;
  const auto now = std::chrono::steady_clock::now();
  for (const auto& w : watchers_) {
    const auto last = w->last_event();
    out.push_back({w->type().plural, w->scope(),
                   last == std::chrono::steady_clock::time_point{}
                       ? -1.0
                       : std::chrono::duration<double>(now - last).count(),
                   w->events()});
  }
  return out;
}

void watch_hub::add_raycluster_watch(const std::string& ns, const k8s::watcher_options& options) {
  // The snapshot of a list in progress; only this watch's thread touches it.
  auto snapshot = std::make_shared<std::vector<raycluster_ptr>>();
  auto sup = supervisor_;
  watchers_.push_back(std::make_unique<k8s::watcher>(
      api_, rayclusters, ns, options,
      [sup, snapshot, ns](k8s::watcher_event e) {
        switch (e.type) {
          case kind::init:
            snapshot->clear();
            break;
          case kind::init_apply:
            snapshot->push_back(reduce_raycluster(std::move(e.object)));
            break;
          case kind::init_done:
            caf::anon_send(sup, resync_atom::value, ns, std::move(*snapshot));
            snapshot->clear();
            break;
          case kind::apply:
            caf::anon_send(sup, apply_atom::value, reduce_raycluster(std::move(e.object)));
            break;
          case kind::remove:
            caf::anon_send(sup, remove_atom::value,
                           cluster_key{k8s::namespace_of(e.object), k8s::name(e.object)});
            break;
        }
      },
      [](const k8s::api_error& e) { log_error("rayclusters", e); }));
}

void watch_hub::add_child_watch(const k8s::resource& type, const std::string& ns,
                                const k8s::watcher_options& base) {
  k8s::watcher_options options = base;
  // Only what this operator created: ray.io/cluster alone would also match KubeRay's pods.
  options.label_selector =
      std::string(ray::label_cluster) + "," + ray::label_created_by + "=" + ray::created_by;
  auto sup = supervisor_;
  const bool pods = type.plural == "pods";
  const std::string child_kind = type.kind;
  // The snapshot of a list in progress; only this watch's thread touches them.
  auto pod_snapshot = std::make_shared<std::vector<keyed_pod>>();
  auto child_snapshot = std::make_shared<std::vector<keyed_child>>();
  watchers_.push_back(std::make_unique<k8s::watcher>(
      api_, type, ns, options,
      [sup, pods, child_kind, ns, pod_snapshot, child_snapshot](k8s::watcher_event e) {
        if (e.type == kind::init) {
          pod_snapshot->clear();
          child_snapshot->clear();
          return;
        }
        if (e.type == kind::init_done) {
          if (pods)
            caf::anon_send(sup, pod_atom::value, resync_atom::value, ns, std::move(*pod_snapshot));
          else
            caf::anon_send(sup, child_atom::value, resync_atom::value, child_kind, ns,
                           std::move(*child_snapshot));
          pod_snapshot->clear();
          child_snapshot->clear();
          return;
        }
        const cluster_key key = cluster_of(e.object);
        if (key.name.empty()) return;
        if (pods) {
          auto pod = std::make_shared<const ray::observed_pod>(ray::reduce_pod(e.object));
          if (e.type == kind::init_apply)
            pod_snapshot->emplace_back(key, std::move(pod));
          else if (e.type == kind::remove)
            caf::anon_send(sup, pod_atom::value, remove_atom::value, key, std::move(pod));
          else
            caf::anon_send(sup, pod_atom::value, apply_atom::value, key, std::move(pod));
          return;
        }
        if (!e.object.contains("kind")) e.object["kind"] = child_kind;
        auto child = std::make_shared<const observed_child>(reduce_child(e.object));
        if (e.type == kind::init_apply)
          child_snapshot->emplace_back(key, std::move(child));
        else if (e.type == kind::remove)
          caf::anon_send(sup, child_atom::value, remove_atom::value, key, std::move(child));
        else
          caf::anon_send(sup, child_atom::value, apply_atom::value, key, std::move(child));
      },
      [plural = type.plural](const k8s::api_error& e) { log_error(plural, e); }));
}

}  // namespace actors
