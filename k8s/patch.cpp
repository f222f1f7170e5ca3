#include "k8s/patch.hpp"

#include <utility>

namespace k8s {

using nlohmann::json;

json merge_patch_diff(const json& from, const json& to) {
  if (!from.is_object() || !to.is_object()) return to;
  json patch = json::object();
  for (const auto& [key, old_value] : from.items()) {
    auto it = to.find(key);
    bool gone = it == to.end() || it->is_null();
    if (gone && !(old_value.is_null() && it != to.end())) patch[key] = nullptr;
  }
  for (const auto& [key, new_value] : to.items()) {
    if (new_value.is_null()) continue;
    auto it = from.find(key);
    if (it == from.end()) {
      patch[key] = new_value;
    } else if (*it != new_value) {
      json nested = merge_patch_diff(*it, new_value);
      if (!(nested.is_object() && nested.empty() && it->is_object()))
        patch[key] = std::move(nested);
    }
  }
  return patch;
}

json merge_patch_absent(const json& current, const json& defaults) {
  json patch = json::object();
  if (!current.is_object() || !defaults.is_object()) return patch;
  for (const auto& [key, value] : defaults.items()) {
    if (value.is_null()) continue;  // null would delete, not default
    auto it = current.find(key);
    if (it == current.end() || it->is_null()) {
      patch[key] = value;
    } else if (it->is_object() && value.is_object()) {
      json nested = merge_patch_absent(*it, value);
      if (!nested.empty()) patch[key] = std::move(nested);
    }
  }
  return patch;
}

std::string json_pointer_escape(std::string_view token) {
  std::string out;
  out.reserve(token.size());
  for (char c : token) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

std::string json_pointer(std::initializer_list<std::string_view> tokens) {
  std::string out;
  for (auto t : tokens) out += "/" + json_pointer_escape(t);
  return out;
}

json_patch& json_patch::add(std::string path, json value) {
  ops_.push_back({{"op", "add"}, {"path", std::move(path)}, {"value", std::move(value)}});
  return *this;
}

json_patch& json_patch::replace(std::string path, json value) {
  ops_.push_back({{"op", "replace"}, {"path", std::move(path)}, {"value", std::move(value)}});
  return *this;
}

json_patch& json_patch::remove(std::string path) {
  ops_.push_back({{"op", "remove"}, {"path", std::move(path)}});
  return *this;
}

json_patch& json_patch::test(std::string path, json value) {
  ops_.push_back({{"op", "test"}, {"path", std::move(path)}, {"value", std::move(value)}});
  return *this;
}

json json_patch::to_json() const {
  return json(ops_);
}

}  // namespace k8s
