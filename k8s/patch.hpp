#pragma once
// Building PATCH bodies: JSON merge patches (RFC 7386, application/merge-patch+json) computed
// from two versions of an object, and JSON patches (RFC 6902, application/json-patch+json)
// for edits that must be precise or guarded by a `test`.

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace k8s {

// The smallest merge patch that turns `from` into `to`: removed keys become null, changed
// objects are diffed key by key, and arrays and scalars are replaced whole. Returns {} when
// nothing differs. A merge patch cannot set a null, so null values in `to` count as absent.
// When either side is not an object, the patch is `to` itself (replace everything).
nlohmann::json merge_patch_diff(const nlohmann::json& from, const nlohmann::json& to);

// A merge patch that fills in the fields of `defaults` that `current` lacks (absent or null),
// recursing into objects present in both, and never changing a value `current` has, even one
// of another type. Arrays are never entered: a merge patch can only replace an array whole,
// which would overwrite elements the user set, so callers default array elements themselves.
// Returns {} when nothing is missing, or when either side is not an object.
nlohmann::json merge_patch_absent(const nlohmann::json& current, const nlohmann::json& defaults);

// One reference token of a JSON pointer: "~" -> "~0", "/" -> "~1" ("ray.io/x" -> "ray.io~1x").
std::string json_pointer_escape(std::string_view token);

// "/metadata/annotations/ray.io~1x" from {"metadata", "annotations", "ray.io/x"}.
std::string json_pointer(std::initializer_list<std::string_view> tokens);

// Paths are JSON pointers, already escaped (see json_pointer()).
class json_patch {
 public:
  json_patch& add(std::string path, nlohmann::json value);
  json_patch& replace(std::string path, nlohmann::json value);
  json_patch& remove(std::string path);
  // The whole patch fails unless the value at `path` equals `value`: an optimistic lock on
  // one field without a resourceVersion.
  json_patch& test(std::string path, nlohmann::json value);

  nlohmann::json to_json() const;  // the array of operations, in the order added
  bool empty() const { return ops_.empty(); }

 private:
  std::vector<nlohmann::json> ops_;
};

}  // namespace k8s
