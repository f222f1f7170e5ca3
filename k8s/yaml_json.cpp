#include "k8s/yaml_json.hpp"

#include <charconv>
#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>
#include <unordered_map>

#include <yaml-cpp/yaml.h>

namespace k8s {

namespace {

using nlohmann::json;

// Deep enough for any real document, and the guard against `&a [*a]`, which yaml-cpp turns
// into a node that contains itself.
constexpr int max_depth = 1000;

const std::string null_tag = "tag:yaml.org,2002:null";
const std::string bool_tag = "tag:yaml.org,2002:bool";
const std::string int_tag = "tag:yaml.org,2002:int";
const std::string float_tag = "tag:yaml.org,2002:float";
const std::string merge_tag = "tag:yaml.org,2002:merge";

std::string position_prefix(int line, int column) {
  if (line <= 0) return {};
  return "line " + std::to_string(line) + ", column " + std::to_string(column) + ": ";
}

yaml_error error_at(const YAML::Mark& mark, const std::string& message) {
  if (mark.is_null()) return yaml_error(message, 0, 0);
  return yaml_error(message, mark.line + 1, mark.column + 1);
}

// The YAML 1.1 words go-yaml v2 gives a type to, in the casings it accepts.
std::optional<json> resolve_keyword(const std::string& s) {
  static const std::unordered_map<std::string, json> table = [] {
    std::unordered_map<std::string, json> t;
    for (const char* w : {"", "~", "null", "Null", "NULL"}) t.emplace(w, nullptr);
    for (const char* w : {"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"})
      t.emplace(w, true);
    for (const char* w :
         {"n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"})
      t.emplace(w, false);
    const double inf = std::numeric_limits<double>::infinity();
    for (const char* w : {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"}) t.emplace(w, inf);
    for (const char* w : {"-.inf", "-.Inf", "-.INF"}) t.emplace(w, -inf);
    for (const char* w : {".nan", ".NaN", ".NAN"})
      t.emplace(w, std::numeric_limits<double>::quiet_NaN());
    return t;
  }();
  auto it = table.find(s);
  if (it == table.end()) return std::nullopt;
  return it->second;
}

// Go's strconv.ParseInt with base 0, which go-yaml uses: 0x, 0o and 0b prefixes, and a bare
// leading zero meaning octal (file modes such as 0644).
std::optional<json> resolve_integer(std::string_view s) {
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  int base = 10;
  if (s.size() > 2 && s[0] == '0' && std::string_view("xXoObB").find(s[1]) != s.npos) {
    base = (s[1] == 'x' || s[1] == 'X') ? 16 : (s[1] == 'o' || s[1] == 'O') ? 8 : 2;
    s.remove_prefix(2);
  } else if (s.size() > 1 && s[0] == '0') {
    base = 8;
    s.remove_prefix(1);
  }
  std::uint64_t magnitude = 0;
  const char* end = s.data() + s.size();
  auto [stop, ec] = std::from_chars(s.data(), end, magnitude, base);
  if (s.empty() || ec != std::errc() || stop != end) return std::nullopt;

  constexpr auto int64_max = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  if (!negative) {
    if (magnitude <= int64_max) return json(static_cast<std::int64_t>(magnitude));
    return json(magnitude);
  }
  if (magnitude == int64_max + 1) return json(std::numeric_limits<std::int64_t>::min());
  if (magnitude <= int64_max) return json(-static_cast<std::int64_t>(magnitude));
  return std::nullopt;  // below int64: go-yaml falls back to a float, and so do we
}

// go-yaml's float syntax, [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?, matched by hand:
// std::regex trips GCC 12's -Wmaybe-uninitialized in sanitizer builds.
bool is_yaml_float(std::string_view s) {
  size_t i = 0;
  auto sign = [&] {
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  };
  auto digits = [&] {
    size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    return i > start;
  };
  sign();
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (!digits()) return false;
  } else {
    if (!digits()) return false;
    if (i < s.size() && s[i] == '.') {
      ++i;
      digits();
    }
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    sign();
    if (!digits()) return false;
  }
  return i == s.size();
}

std::optional<json> resolve_float(std::string_view s) {
  if (!is_yaml_float(s)) return std::nullopt;
  if (s[0] == '+') s.remove_prefix(1);  // from_chars takes no plus sign
  double value = 0;
  const char* end = s.data() + s.size();
  auto [stop, ec] = std::from_chars(s.data(), end, value);
  if (ec != std::errc() || stop != end) return std::nullopt;  // e.g. 1e999: a string, as in Go
  return json(value);
}

json resolve_plain(const std::string& s) {
  if (auto keyword = resolve_keyword(s)) return *keyword;
  if (std::string_view("-+0123456789.").find(s[0]) == std::string_view::npos) return s;
  std::string plain;
  for (char c : s)
    if (c != '_') plain += c;  // 1_000_000
  if (auto integer = resolve_integer(plain)) return *integer;
  if (auto number = resolve_float(plain)) return *number;
  return s;
}

json scalar_to_json(const YAML::Node& node) {
  const std::string& tag = node.Tag();
  const std::string& text = node.Scalar();
  if (tag == "?") return resolve_plain(text);
  // Explicit core tags are checked; quoted scalars ("!"), !!str and unknown tags stay text.
  if (tag != null_tag && tag != bool_tag && tag != int_tag && tag != float_tag) return text;
  json value = resolve_plain(text);
  if (tag == float_tag && value.is_number()) return value.get<double>();
  bool ok = (tag == null_tag && value.is_null()) || (tag == bool_tag && value.is_boolean()) ||
            (tag == int_tag && value.is_number_integer());
  if (!ok) throw error_at(node.Mark(), "\"" + text + "\" is not a valid " + tag);
  return value;
}

json to_json(const YAML::Node& node, int depth);

std::string key_text(const YAML::Node& key) {
  if (key.IsNull()) return "null";
  if (key.IsScalar()) return key.Scalar();
  throw error_at(key.Mark(), "mapping keys must be scalars to be represented in JSON");
}

bool is_merge_key(const YAML::Node& key) {
  return key.IsScalar() && ((key.Tag() == "?" && key.Scalar() == "<<") || key.Tag() == merge_tag);
}

json mapping_to_json(const YAML::Node& node, int depth) {
  std::vector<YAML::Node> sources;
  for (const auto& entry : node) {
    if (!is_merge_key(entry.first)) continue;
    const YAML::Node& value = entry.second;
    if (value.IsMap()) {
      sources.push_back(value);
    } else if (value.IsSequence()) {
      for (const auto& item : value) {
        if (!item.IsMap())
          throw error_at(item.Mark(), "a merge key (<<) list may hold only mappings");
        sources.push_back(item);
      }
    } else {
      throw error_at(value.Mark(), "a merge key (<<) needs a mapping or a list of mappings");
    }
  }
  // In a list of merged mappings the earlier ones win, and explicit keys win over all of them.
  json out = json::object();
  for (auto it = sources.rbegin(); it != sources.rend(); ++it) out.update(to_json(*it, depth + 1));
  for (const auto& entry : node) {
    if (!is_merge_key(entry.first)) out[key_text(entry.first)] = to_json(entry.second, depth + 1);
  }
  return out;
}

json to_json(const YAML::Node& node, int depth) {
  if (depth > max_depth) {
    throw error_at(node.Mark(), "nested more than " + std::to_string(max_depth) +
                                    " levels deep (or an alias refers to itself)");
  }
  if (!node.IsDefined()) return nullptr;
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      return scalar_to_json(node);
    case YAML::NodeType::Sequence: {
      json out = json::array();
      for (const auto& item : node) out.push_back(to_json(item, depth + 1));
      return out;
    }
    case YAML::NodeType::Map:
      return mapping_to_json(node, depth);
    default:
      return nullptr;
  }
}

template <class Load>
auto load(Load&& fn) {
  try {
    return fn();
  } catch (const YAML::Exception& e) {
    throw error_at(e.mark, e.msg);
  }
}

}  // namespace

yaml_error::yaml_error(const std::string& message, int line, int column)
    : std::runtime_error(position_prefix(line, column) + message), line_(line), column_(column) {}

json yaml_to_json(const YAML::Node& node) {
  return to_json(node, 0);
}

json parse_yaml(const std::string& text) {
  return yaml_to_json(load([&] { return YAML::Load(text); }));
}

std::vector<json> parse_yaml_documents(const std::string& text) {
  std::vector<json> out;
  for (const YAML::Node& doc : load([&] { return YAML::LoadAll(text); })) {
    if (!doc.IsNull()) out.push_back(yaml_to_json(doc));
  }
  return out;
}

}  // namespace k8s
