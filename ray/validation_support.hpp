#pragma once
// Building blocks of validate(): field paths, type checks that record a problem instead of
// throwing, and the checks shared by the head and worker groups. Input comes from users and
// from the API server, and a RayCluster of any shape must give problems, never an exception.

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "ray/validation.hpp"

namespace ray::validation_detail {

constexpr int64_t max_int32 = 2147483647;

// "spec.headGroupSpec" + "rayStartParams"; keys that are not plain words are bracketed, as in
// "resources.limits[nvidia.com/gpu]".
std::string field_path(const std::string& parent, std::string_view key);
std::string index_path(const std::string& parent, size_t index);

// The value as JSON text, shortened, for quoting in a message: "two", 5, {...}.
std::string quoted(const nlohmann::json& value);

class checker {
 public:
  explicit checker(std::vector<spec_problem>& out) : out_(out) {}

  void add(std::string field, std::string message);

  // parent[key] when present (not null) and of the expected type; nullptr when absent, and
  // also when wrongly typed, which is recorded as a problem.
  const nlohmann::json* object(const nlohmann::json& parent, std::string_view key,
                               const std::string& parent_path);
  const nlohmann::json* array(const nlohmann::json& parent, std::string_view key,
                              const std::string& parent_path);
  const nlohmann::json* string(const nlohmann::json& parent, std::string_view key,
                               const std::string& parent_path);
  const nlohmann::json* boolean(const nlohmann::json& parent, std::string_view key,
                                const std::string& parent_path);
  std::optional<double> number(const nlohmann::json& parent, std::string_view key,
                               const std::string& parent_path);
  // Integral floats (2.0) count as integers, as they do for the API server.
  std::optional<int64_t> integer(const nlohmann::json& parent, std::string_view key,
                                 const std::string& parent_path);
  // An integer in [min, max] (Kubernetes int32 fields by default).
  std::optional<int64_t> bounded_integer(const nlohmann::json& parent, std::string_view key,
                                         const std::string& parent_path, int64_t min,
                                         int64_t max = max_int32);
  // A string among `allowed`.
  void one_of(const nlohmann::json& parent, std::string_view key, const std::string& parent_path,
              std::initializer_list<const char*> allowed);
  // An object whose values are all strings (Go's map[string]string).
  const nlohmann::json* string_map(const nlohmann::json& parent, std::string_view key,
                                   const std::string& parent_path);
  // An array whose elements are all of one JSON type.
  const nlohmann::json* array_of(const nlohmann::json& parent, std::string_view key,
                                 const std::string& parent_path, nlohmann::json::value_t type);

 private:
  const nlohmann::json* typed(const nlohmann::json& parent, std::string_view key,
                              const std::string& parent_path, bool (*test)(const nlohmann::json&),
                              const char* expected);

  std::vector<spec_problem>& out_;
};

// The group-level facts a pod template check depends on.
struct template_rules {
  bool autoscaling = false;    // spec.enableInTreeAutoscaling
  bool autoscaler_v2 = false;  // spec.autoscalerOptions.version == "v2"
  bool has_num_cpus = false;   // rayStartParams num-cpus or the group's resources.cpu
};

// group.template: labels, containers (the first is the Ray container, whose name, image and
// resources may be left to the defaults), ports, env, resources, restartPolicy.
void check_pod_template(checker& c, const nlohmann::json& group, const std::string& group_path,
                        const template_rules& rules);

// A ResourceRequirements object: limits and requests of valid, non-negative quantities, no
// request above its limit.
void check_resource_requirements(checker& c, const nlohmann::json& resources,
                                 const std::string& path);

// Kubernetes label keys and values.
void check_labels(checker& c, const nlohmann::json& labels, const std::string& path);
// GCS fault tolerance's settings (validation_gcs.cpp).
void check_gcs_fault_tolerance(checker& c, const nlohmann::json& raycluster);
// networkPolicy, headGroupSpec.ingressOptions, workerGroupSpecs[].priority, authOptions,
// historyServerOptions
// (validation_cluster_options.cpp).
void check_cluster_options(checker& c, const nlohmann::json& raycluster);

}  // namespace ray::validation_detail
