#include "ray/validation_support.hpp"

#include <cctype>
#include <cmath>
#include <utility>

namespace ray::validation_detail {

using nlohmann::json;

namespace {

bool is_plain_key(std::string_view key) {
  if (key.empty()) return false;
  for (char c : key)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  return true;
}

// "the string \"yes\"", "2.5", "an object": what was found instead of what was expected.
std::string describe(const json& value) {
  switch (value.type()) {
    case json::value_t::object:
      return "an object";
    case json::value_t::array:
      return "a list";
    case json::value_t::string:
      return "the string " + quoted(value);
    case json::value_t::number_float:
      if (!std::isfinite(value.get<double>())) return "a non-finite number";
      return value.dump();
    default:
      return value.dump();
  }
}

std::string must_be(const char* expected, const json& value) {
  return std::string("must be ") + expected + ", not " + describe(value);
}

const json* member(const json& parent, std::string_view key) {
  if (!parent.is_object()) return nullptr;
  auto it = parent.find(key);
  if (it == parent.end() || it->is_null()) return nullptr;
  return &*it;
}

const char* type_phrase(json::value_t type) {
  switch (type) {
    case json::value_t::object:
      return "an object";
    case json::value_t::array:
      return "a list";
    case json::value_t::string:
      return "a string";
    case json::value_t::boolean:
      return "a boolean";
    default:
      return "a number";
  }
}

}  // namespace

std::string field_path(const std::string& parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  if (is_plain_key(key)) return parent + "." + std::string(key);
  return parent + "[" + std::string(key) + "]";
}

std::string index_path(const std::string& parent, size_t index) {
  return parent + "[" + std::to_string(index) + "]";
}

std::string quoted(const json& value) {
  constexpr size_t max_length = 60;
  std::string text = value.dump();
  if (text.size() > max_length) text = text.substr(0, max_length) + "...";
  return text;
}

void checker::add(std::string field, std::string message) {
  out_.push_back({std::move(field), std::move(message)});
}

const json* checker::typed(const json& parent, std::string_view key, const std::string& parent_path,
                           bool (*test)(const json&), const char* expected) {
  const json* value = member(parent, key);
  if (!value) return nullptr;
  if (test(*value)) return value;
  add(field_path(parent_path, key), must_be(expected, *value));
  return nullptr;
}

const json* checker::object(const json& parent, std::string_view key,
                            const std::string& parent_path) {
  return typed(
      parent, key, parent_path, [](const json& v) { return v.is_object(); }, "an object");
}

const json* checker::array(const json& parent, std::string_view key,
                           const std::string& parent_path) {
  return typed(
      parent, key, parent_path, [](const json& v) { return v.is_array(); }, "a list");
}

const json* checker::string(const json& parent, std::string_view key,
                            const std::string& parent_path) {
  return typed(
      parent, key, parent_path, [](const json& v) { return v.is_string(); }, "a string");
}

const json* checker::boolean(const json& parent, std::string_view key,
                             const std::string& parent_path) {
  return typed(
      parent, key, parent_path, [](const json& v) { return v.is_boolean(); },
      "a boolean (true or false)");
}

std::optional<double> checker::number(const json& parent, std::string_view key,
                                      const std::string& parent_path) {
  const json* value = typed(
      parent, key, parent_path,
      [](const json& v) { return v.is_number() && std::isfinite(v.get<double>()); }, "a number");
  if (!value) return std::nullopt;
  return value->get<double>();
}

std::optional<int64_t> checker::integer(const json& parent, std::string_view key,
                                        const std::string& parent_path) {
  const json* value = member(parent, key);
  if (!value) return std::nullopt;
  if (value->is_number_unsigned()) {
    auto u = value->get<uint64_t>();
    return u > static_cast<uint64_t>(INT64_MAX) ? INT64_MAX : static_cast<int64_t>(u);
  }
  if (value->is_number_integer()) return value->get<int64_t>();
  if (value->is_number_float()) {
    double d = value->get<double>();
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.0e18)
      return static_cast<int64_t>(d);
  }
  add(field_path(parent_path, key), must_be("an integer", *value));
  return std::nullopt;
}

std::optional<int64_t> checker::bounded_integer(const json& parent, std::string_view key,
                                                const std::string& parent_path, int64_t min,
                                                int64_t max) {
  auto value = integer(parent, key, parent_path);
  if (!value) return std::nullopt;
  std::string path = field_path(parent_path, key);
  if (*value < min) {
    add(path, min == 0
                  ? "must not be negative, not " + std::to_string(*value)
                  : "must be at least " + std::to_string(min) + ", not " + std::to_string(*value));
    return std::nullopt;
  }
  if (*value > max) {
    add(path, "must be at most " + std::to_string(max) + ", not " + std::to_string(*value));
    return std::nullopt;
  }
  return value;
}

void checker::one_of(const json& parent, std::string_view key, const std::string& parent_path,
                     std::initializer_list<const char*> allowed) {
  const json* value = string(parent, key, parent_path);
  if (!value) return;
  std::string list;
  for (const char* a : allowed) {
    if (*value == a) return;
    list += (list.empty() ? "" : ", ") + std::string(a);
  }
  add(field_path(parent_path, key), quoted(*value) + " is not allowed; use one of " + list);
}

const json* checker::string_map(const json& parent, std::string_view key,
                                const std::string& parent_path) {
  const json* map = object(parent, key, parent_path);
  if (!map) return nullptr;
  std::string path = field_path(parent_path, key);
  for (const auto& [k, v] : map->items())
    if (!v.is_string()) add(field_path(path, k), must_be("a string (write \"1\", not 1)", v));
  return map;
}

const json* checker::array_of(const json& parent, std::string_view key,
                              const std::string& parent_path, json::value_t type) {
  const json* list = array(parent, key, parent_path);
  if (!list) return nullptr;
  std::string path = field_path(parent_path, key);
  for (size_t i = 0; i < list->size(); ++i) {
    const json& element = (*list)[i];
    bool same = element.type() == type ||
                (element.is_number() &&
                 (type == json::value_t::number_integer || type == json::value_t::number_float));
    if (!same) add(index_path(path, i), must_be(type_phrase(type), element));
  }
  return list;
}

}  // namespace ray::validation_detail
