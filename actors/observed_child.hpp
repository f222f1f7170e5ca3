#pragma once
// Reduction of owned non-pod children (Services, StatefulSets, RBAC objects) to what the
// RayCluster actor compares: identity, owner, our spec-hash annotation and a few status fields.

#include <nlohmann/json.hpp>

#include "actors/protocol.hpp"

namespace actors {

observed_child reduce_child(const nlohmann::json& object);
// "Kind/name": the key of a child in a RayCluster actor's map.
std::string child_key(const std::string& kind, const std::string& name);
// The cluster an object belongs to, from its ray.io/cluster label; empty name when unlabelled.
cluster_key cluster_of(const nlohmann::json& object);

}  // namespace actors
