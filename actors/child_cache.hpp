#pragma once
// The supervisor's reflector stores: for each watched child kind (Pods, Services,
// StatefulSets, Deployments, ServiceAccounts, Roles, RoleBindings, HorizontalPodAutoscalers) and
// each watch scope (a namespace, or "" for all), the reduced objects the watch has shown, indexed
// by the cluster their ray.io/cluster label names. A RayCluster actor is seeded from here when it
// starts, and after a relist gets its new slice: no actor ever lists anything itself.

#include <map>
#include <set>
#include <string>
#include <vector>

#include "actors/protocol.hpp"
#include "k8s/reflector_store.hpp"

namespace actors {

class child_cache {
 public:
  // `kinds`: the child kinds other than Pod; `scopes`: {""} or the namespaces watched.
  child_cache(std::vector<std::string> kinds, std::vector<std::string> scopes);

  // Pods. apply/remove return the cluster a relabelled pod left, if any.
  std::optional<cluster_key> apply_pod(const cluster_key& cluster, pod_ptr pod);
  void remove_pod(const cluster_key& cluster, const pod_ptr& pod);
  // A relist of a scope; returns the clusters whose pods differ from before.
  std::vector<cluster_key> replace_pods(const std::string& scope, std::vector<keyed_pod> all);
  std::vector<pod_ptr> pods_of(const cluster_key& cluster) const;

  std::optional<cluster_key> apply_child(const cluster_key& cluster, child_ptr child);
  void remove_child(const cluster_key& cluster, const child_ptr& child);
  std::vector<cluster_key> replace_children(const std::string& kind, const std::string& scope,
                                            std::vector<keyed_child> all);
  std::vector<child_ptr> children_of(const cluster_key& cluster) const;
  std::vector<child_ptr> children_of(const cluster_key& cluster, const std::string& kind) const;

  // Every store has had its first complete list: a slice read now is the whole truth.
  bool synced() const;
  size_t pods() const;
  const std::vector<std::string>& kinds() const { return kinds_; }

 private:
  std::string scope_of(const std::string& ns) const;
  static std::string index_of(const cluster_key& cluster) { return cluster.str(); }
  static cluster_key cluster_from(const std::string& index);

  std::vector<std::string> kinds_;
  std::vector<std::string> scopes_;
  bool all_namespaces_;
  std::map<std::string, k8s::reflector_store<ray::observed_pod>> pods_;  // by scope
  std::map<std::pair<std::string, std::string>, k8s::reflector_store<observed_child>>
      children_;  // by kind and scope
};

}  // namespace actors
