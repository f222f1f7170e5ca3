#include "k8s/object_template.hpp"

#include <stdexcept>

namespace k8s {

namespace {

// A name no object can have: the place the real one goes, found again in the text.
constexpr const char* placeholder = "\x01name\x01";

uint64_t fnv1a(const std::string& a, const std::string& b) {
  uint64_t h = 1469598103934665603ull;
  for (const std::string* s : {&a, &b})
    for (unsigned char c : *s) h = (h ^ c) * 1099511628211ull;
  return h;
}

}  // namespace

object_template::object_template(const nlohmann::json& object) {
  if (!object.is_object()) throw std::invalid_argument("an object template must be a JSON object");
  nlohmann::json copy = object;
  auto& meta = copy["metadata"];
  if (!meta.is_object()) meta = nlohmann::json::object();
  if (auto g = meta.find("generateName"); g != meta.end()) {
    if (g->is_string()) generate_name_ = g->get<std::string>();
    meta.erase(g);
  }
  meta["name"] = placeholder;
  const std::string text = copy.dump();
  const std::string quoted = nlohmann::json(placeholder).dump();
  const auto at = text.find(quoted);
  before_name_ = text.substr(0, at);
  after_name_ = text.substr(at + quoted.size());
  digest_ = fnv1a(before_name_, after_name_);
}

std::string object_template::named(const std::string& name) const {
  std::string out;
  const std::string quoted = nlohmann::json(name).dump();
  out.reserve(before_name_.size() + quoted.size() + after_name_.size());
  out += before_name_;
  out += quoted;
  out += after_name_;
  return out;
}

}  // namespace k8s
