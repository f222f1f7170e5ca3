#pragma once
// A resource type of the Kubernetes API (group, version, plural) and the REST paths that
// address it: `/api/v1/...` for the core group, `/apis/<group>/<version>/...` for the others.

#include <string>

namespace k8s {

struct resource {
  std::string group;    // "" for the core group
  std::string version;  // "v1"
  std::string plural;   // "pods"
  std::string kind;     // "Pod"
  bool namespaced = true;

  std::string api_version() const;  // "v1", "apps/v1"
  // The collection; an empty namespace means across all namespaces (or a cluster-scoped type).
  std::string collection_path(const std::string& ns = {}) const;
  // One object, optionally a subresource of it ("status", "scale").
  std::string object_path(const std::string& ns, const std::string& name,
                          const std::string& subresource = {}) const;
};

// Built-in types the project reads or writes. Versions are the ones served by every release
// from 1.20 on; where a type moved between versions, callers choose through discovery.
namespace resources {
extern const resource namespaces;
extern const resource nodes;
extern const resource pods;
extern const resource services;
extern const resource endpoints;
extern const resource configmaps;
extern const resource secrets;
extern const resource persistentvolumeclaims;
extern const resource serviceaccounts;
extern const resource events;  // core/v1 Events (events.k8s.io/v1 is 1.19+, core is universal)
extern const resource statefulsets;
extern const resource deployments;
extern const resource replicasets;
extern const resource roles;
extern const resource rolebindings;
extern const resource ingresses;        // networking.k8s.io/v1 (Kubernetes 1.19+)
extern const resource networkpolicies;  // networking.k8s.io/v1
// autoscaling/v2 is served from 1.23, v2beta2 until 1.25: the same object in both.
extern const resource horizontalpodautoscalers_v2;
extern const resource horizontalpodautoscalers_v2beta2;
extern const resource leases;
extern const resource customresourcedefinitions;
}  // namespace resources

// Percent-encodes one query-string value (selectors contain '=', '!', ',', '(' and spaces).
std::string url_encode(const std::string& value);

}  // namespace k8s
