#pragma once
// Validation of a RayCluster, run on every reconcile before anything is built. Kubernetes 1.20
// silently drops CEL rules and pod templates are schema-less, so every rule is enforced here.
// A problem never touches existing children: the cluster gets a Warning Event and a condition
// listing the problems, and reconciling resumes when the spec is fixed.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace ray {

struct spec_problem {
  std::string field;    // "spec.workerGroupSpecs[1].minReplicas"
  std::string message;  // "5 is greater than maxReplicas (3)"
  std::string to_string() const { return field + ": " + message; }
};

// The longest cluster name whose derived names all fit in 63 characters (the StatefulSet's
// pods carry a controller-revision-hash label "<name>-head-<10 characters>").
constexpr size_t max_cluster_name_length = 47;
// Worker pod names are "<cluster>-<group>-worker-" plus 5 random characters.
constexpr size_t max_cluster_and_group_name_length = 49;

// Every problem found, in field order; empty when the RayCluster is valid.
std::vector<spec_problem> validate(const nlohmann::json& raycluster);

// Settings that ask for nothing on their own (ingressOptions without enableIngress), by path,
// with why after it. Not problems: the cluster runs, and a Warning Event says so.
std::vector<std::string> unacted_fields(const nlohmann::json& raycluster);

// One line for an Event or a condition message: "3 problems: a: ...; b: ...; c: ...".
std::string summarize(const std::vector<spec_problem>& problems);

}  // namespace ray
