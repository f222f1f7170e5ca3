#include "actors/child_cache.hpp"

namespace actors {

namespace {

template <class T>
std::vector<typename k8s::reflector_store<T>::entry> entries_of(
    std::vector<std::pair<cluster_key, std::shared_ptr<const T>>> all) {
  std::vector<typename k8s::reflector_store<T>::entry> out;
  out.reserve(all.size());
  for (auto& [cluster, object] : all) {
    if (!object) continue;
    out.push_back({cluster.ns + "/" + object->name, cluster.str(), object->resource_version,
                   std::move(object)});
  }
  return out;
}

}  // namespace

child_cache::child_cache(std::vector<std::string> kinds, std::vector<std::string> scopes)
    : kinds_(std::move(kinds)), scopes_(std::move(scopes)) {
  if (scopes_.empty()) scopes_.push_back("");
  all_namespaces_ = scopes_.size() == 1 && scopes_.front().empty();
  for (const auto& scope : scopes_) {
    pods_[scope];
    for (const auto& kind : kinds_) children_[{kind, scope}];
  }
}

std::string child_cache::scope_of(const std::string& ns) const {
  return all_namespaces_ ? std::string() : ns;
}

cluster_key child_cache::cluster_from(const std::string& index) {
  const auto slash = index.find('/');
  if (slash == std::string::npos) return {index, {}};
  return {index.substr(0, slash), index.substr(slash + 1)};
}

std::optional<cluster_key> child_cache::apply_pod(const cluster_key& cluster, pod_ptr pod) {
  auto it = pods_.find(scope_of(cluster.ns));
  if (it == pods_.end() || !pod) return std::nullopt;
  std::string key = cluster.ns + "/" + pod->name;
  std::string version = pod->resource_version;
  const std::string left =
      it->second.apply({std::move(key), cluster.str(), std::move(version), std::move(pod)});
  if (left.empty()) return std::nullopt;
  return cluster_from(left);
}

void child_cache::remove_pod(const cluster_key& cluster, const pod_ptr& pod) {
  auto it = pods_.find(scope_of(cluster.ns));
  if (it != pods_.end() && pod) it->second.remove(cluster.ns + "/" + pod->name);
}

std::vector<cluster_key> child_cache::replace_pods(const std::string& scope,
                                                   std::vector<keyed_pod> all) {
  std::vector<cluster_key> out;
  auto it = pods_.find(scope);
  if (it == pods_.end()) return out;
  for (const auto& index : it->second.replace(entries_of(std::move(all))))
    out.push_back(cluster_from(index));
  return out;
}

std::vector<pod_ptr> child_cache::pods_of(const cluster_key& cluster) const {
  auto it = pods_.find(scope_of(cluster.ns));
  if (it == pods_.end()) return {};
  return it->second.list(cluster.str());
}

std::optional<cluster_key> child_cache::apply_child(const cluster_key& cluster, child_ptr child) {
  if (!child) return std::nullopt;
  auto it = children_.find({child->kind, scope_of(cluster.ns)});
  if (it == children_.end()) return std::nullopt;
  std::string key = cluster.ns + "/" + child->name;
  std::string version = child->resource_version;
  const std::string left =
      it->second.apply({std::move(key), cluster.str(), std::move(version), std::move(child)});
  if (left.empty()) return std::nullopt;
  return cluster_from(left);
}

void child_cache::remove_child(const cluster_key& cluster, const child_ptr& child) {
  if (!child) return;
  auto it = children_.find({child->kind, scope_of(cluster.ns)});
  if (it != children_.end()) it->second.remove(cluster.ns + "/" + child->name);
}

std::vector<cluster_key> child_cache::replace_children(const std::string& kind,
                                                       const std::string& scope,
                                                       std::vector<keyed_child> all) {
  std::vector<cluster_key> out;
  auto it = children_.find({kind, scope});
  if (it == children_.end()) return out;
  for (const auto& index : it->second.replace(entries_of(std::move(all))))
    out.push_back(cluster_from(index));
  return out;
}

std::vector<child_ptr> child_cache::children_of(const cluster_key& cluster) const {
  std::vector<child_ptr> out;
  for (const auto& kind : kinds_) {
    auto some = children_of(cluster, kind);
    out.insert(out.end(), some.begin(), some.end());
  }
  return out;
}

std::vector<child_ptr> child_cache::children_of(const cluster_key& cluster,
                                                const std::string& kind) const {
  auto it = children_.find({kind, scope_of(cluster.ns)});
  if (it == children_.end()) return {};
  return it->second.list(cluster.str());
}

bool child_cache::synced() const {
  for (const auto& [scope, store] : pods_)
    if (!store.synced()) return false;
  for (const auto& [key, store] : children_)
    if (!store.synced()) return false;
  return true;
}

size_t child_cache::pods() const {
  size_t n = 0;
  for (const auto& [scope, store] : pods_) n += store.size();
  return n;
}

}  // namespace actors
