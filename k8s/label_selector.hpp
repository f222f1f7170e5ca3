#pragma once
// Label selectors as the API server understands them in `?labelSelector=`: "app=ray",
// "tier!=head", "env in (a,b)", "env notin (c)", "gpu", "!spot", comma-separated and all
// required. Requirements are kept sorted by key (as Kubernetes does), so two selectors that
// select the same way print the same way and compare equal.

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "k8s/error.hpp"

namespace k8s {

struct label_requirement {
  enum class op { equals, not_equals, in, not_in, exists, does_not_exist };
  std::string key;
  op operation = op::exists;
  std::vector<std::string> values;  // sorted, no duplicates; empty for exists/does_not_exist

  // `labels` is an object of strings; null or anything else counts as no labels.
  bool matches(const nlohmann::json& labels) const;
  std::string to_string() const;
  bool operator==(const label_requirement& o) const {
    return key == o.key && operation == o.operation && values == o.values;
  }
};

class label_selector {
 public:
  // Keys must be qualified names and values valid label values; "" gives the empty selector.
  // "k==v" is read as "k=v". Failures are error_kind::decode and quote the text.
  static result<label_selector> parse(std::string_view text);

  // A metav1.LabelSelector: {"matchLabels": {...}, "matchExpressions": [{key, operator,
  // values}]}. Kubernetes reads a null selector as selecting nothing, which this type cannot
  // say, so anything but an object is refused and the caller decides what null means.
  static result<label_selector> from_json(const nlohmann::json& selector);

  // Builders. They do not validate: keys and values that come from users belong in parse().
  label_selector& equals(std::string key, std::string value);
  label_selector& not_equals(std::string key, std::string value);
  label_selector& in(std::string key, std::vector<std::string> values);
  label_selector& not_in(std::string key, std::vector<std::string> values);
  label_selector& exists(std::string key);
  label_selector& does_not_exist(std::string key);
  // Any requirement; its values are sorted and de-duplicated.
  label_selector& add(label_requirement requirement);

  // All requirements hold; the empty selector matches everything.
  bool matches(const nlohmann::json& labels) const;
  bool empty() const { return requirements_.empty(); }
  const std::vector<label_requirement>& requirements() const { return requirements_; }

  // The query-string form, which parse() reads back to an equal selector.
  std::string to_string() const;

  bool operator==(const label_selector& o) const { return requirements_ == o.requirements_; }
  bool operator!=(const label_selector& o) const { return !(*this == o); }

 private:
  std::vector<label_requirement> requirements_;
};

}  // namespace k8s
