#pragma once
// YAML to JSON, typed the way kubectl types it (go-yaml v2, YAML 1.1 plain scalars), so a
// manifest or kubeconfig means the same thing here as it does to kubectl: `replicas: 3` is a
// number, `enabled: yes` a boolean, `mode: 0644` the octal 420, and `version: "3"` a string.

#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace YAML {
class Node;
}

namespace k8s {

// Malformed YAML, or YAML with no JSON equivalent (a mapping as a key, a recursive alias).
// line() and column() are 1-based; 0 when the position is unknown. what() starts with
// "line L, column C: " when the position is known.
class yaml_error : public std::runtime_error {
 public:
  yaml_error(const std::string& message, int line, int column);
  int line() const { return line_; }
  int column() const { return column_; }

 private:
  int line_;
  int column_;
};

// Merge keys (`<<: *defaults`) are applied; explicit keys win over merged ones. Integers above
// int64 become unsigned, those beyond uint64 or below int64 doubles; `.inf` and `.nan` become
// non-finite doubles (which nlohmann::json dumps as null). Mapping keys are kept as written.
nlohmann::json yaml_to_json(const YAML::Node& node);

// The first document of `text`; null when there is none.
nlohmann::json parse_yaml(const std::string& text);

// Every document of `text` (a `---` separated stream), leaving out empty and null documents.
std::vector<nlohmann::json> parse_yaml_documents(const std::string& text);

}  // namespace k8s
