#pragma once
// An object created many times under different names (a worker group's pods), kept as its JSON
// text rather than as a parsed tree: the text is a fraction of the tree's memory (a tree spends
// a map node, a key string and a value on every member), and each create splices its name into
// the text instead of copying a tree and serializing the copy.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace k8s {

class object_template {
 public:
  // `object` must be a JSON object; its metadata.generateName is kept aside as the names'
  // prefix, and metadata.name is what `named` fills in.
  explicit object_template(const nlohmann::json& object);

  // The object's text with metadata.name set to `name`.
  std::string named(const std::string& name) const;
  // metadata.generateName as given, "" if none.
  const std::string& generate_name() const { return generate_name_; }
  // Tells two templates apart: equal templates have equal digests.
  uint64_t digest() const { return digest_; }

 private:
  std::string before_name_;  // the text up to the name's value
  std::string after_name_;   // and from just after it
  std::string generate_name_;
  uint64_t digest_ = 0;
};

}  // namespace k8s
