#include "k8s/label_selector.hpp"

#include <algorithm>
#include <utility>

#include "k8s/names.hpp"

namespace k8s {

namespace {

using op = label_requirement::op;

enum class tok { identifier, bang, equals, double_equals, not_equals, open, close, comma, end };

struct token {
  tok kind;
  std::string_view text;
};

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}
bool is_special(char c) {
  return is_space(c) || c == '!' || c == '=' || c == ',' || c == '(' || c == ')';
}

class lexer {
 public:
  explicit lexer(std::string_view s) : s_(s) {}

  token next() {
    while (pos_ < s_.size() && is_space(s_[pos_])) ++pos_;
    if (pos_ == s_.size()) return {tok::end, {}};
    size_t start = pos_;
    char c = s_[pos_++];
    bool then_equals = pos_ < s_.size() && s_[pos_] == '=';
    switch (c) {
      case '(':
        return {tok::open, s_.substr(start, 1)};
      case ')':
        return {tok::close, s_.substr(start, 1)};
      case ',':
        return {tok::comma, s_.substr(start, 1)};
      case '!':
        if (then_equals) return {tok::not_equals, s_.substr(start, ++pos_ - start)};
        return {tok::bang, s_.substr(start, 1)};
      case '=':
        if (then_equals) return {tok::double_equals, s_.substr(start, ++pos_ - start)};
        return {tok::equals, s_.substr(start, 1)};
      default:
        break;
    }
    while (pos_ < s_.size() && !is_special(s_[pos_])) ++pos_;
    return {tok::identifier, s_.substr(start, pos_ - start)};
  }

  token peek() {
    size_t saved = pos_;
    token t = next();
    pos_ = saved;
    return t;
  }

 private:
  std::string_view s_;
  size_t pos_ = 0;
};

std::string describe(const token& t) {
  return t.kind == tok::end ? "the end" : "'" + std::string(t.text) + "'";
}

bool ends_requirement(const token& t) {
  return t.kind == tok::end || t.kind == tok::comma;
}

// Why `key` or one of `values` cannot be in a selector, or "" when all can.
std::string check(const std::string& key, const std::vector<std::string>& values) {
  if (std::string why = validate_qualified_name(key); !why.empty())
    return "label key \"" + key + "\": " + why;
  for (const auto& v : values) {
    std::string why = validate_label_value(v);
    if (!why.empty()) return "value \"" + v + "\" of label key \"" + key + "\": " + why;
  }
  return "";
}

std::string shortened(std::string_view text) {
  constexpr size_t max_shown = 100;
  return std::string(text.substr(0, max_shown)) + (text.size() > max_shown ? "..." : "");
}

// `subject` is the selector as the caller wrote it: quoted text, or JSON as it is.
api_error invalid(const std::string& subject, const std::string& why) {
  return api_error(error_kind::decode, "label selector " + subject + " is not valid: " + why);
}

// One requirement, up to (not including) the comma or end that follows it. Returns why the
// text is not a requirement, or "" after filling in `r`.
std::string parse_requirement(lexer& lx, label_requirement& r) {
  token t = lx.next();
  bool negated = t.kind == tok::bang;
  if (negated) t = lx.next();
  if (t.kind != tok::identifier) return "expected a label key, found " + describe(t);
  r.key = std::string(t.text);
  if (ends_requirement(lx.peek())) {
    r.operation = negated ? op::does_not_exist : op::exists;
    return check(r.key, r.values);
  }
  if (negated) return "'!" + r.key + "' must be followed by ',' or the end";

  t = lx.next();
  if (t.kind == tok::equals || t.kind == tok::double_equals || t.kind == tok::not_equals) {
    r.operation = t.kind == tok::not_equals ? op::not_equals : op::equals;
    r.values.emplace_back();  // "k=" selects an empty value
    if (!ends_requirement(lx.peek())) {
      token v = lx.next();
      if (v.kind != tok::identifier)
        return "expected a value after '" + r.key + std::string(t.text) + "', found " + describe(v);
      r.values.back() = std::string(v.text);
    }
    return check(r.key, r.values);
  }
  if (t.kind != tok::identifier || (t.text != "in" && t.text != "notin"))
    return "expected an operator after label key \"" + r.key + "\", found " + describe(t);
  r.operation = t.text == "in" ? op::in : op::not_in;
  if (token open = lx.next(); open.kind != tok::open)
    return "expected '(' after '" + r.key + " " + std::string(t.text) + "', found " +
           describe(open);
  // Empty items are empty values, as in Kubernetes: "k in ()" means k="".
  for (;;) {
    token v = lx.next();
    r.values.emplace_back();
    if (v.kind == tok::identifier) {
      r.values.back() = std::string(v.text);
      v = lx.next();
    }
    if (v.kind == tok::close) return check(r.key, r.values);
    if (v.kind != tok::comma)
      return "expected ',' or ')' in the values of label key \"" + r.key + "\", found " +
             describe(v);
  }
}

const std::string* label_value(const nlohmann::json& labels, const std::string& key) {
  if (!labels.is_object()) return nullptr;
  auto it = labels.find(key);
  if (it == labels.end() || !it->is_string()) return nullptr;
  return &it->get_ref<const std::string&>();
}

}  // namespace

bool label_requirement::matches(const nlohmann::json& labels) const {
  const std::string* value = label_value(labels, key);
  bool listed = value && std::binary_search(values.begin(), values.end(), *value);
  switch (operation) {
    case op::equals:
    case op::in:
      return listed;
    case op::not_equals:
    case op::not_in:
      return !listed;
    case op::exists:
      return value != nullptr;
    case op::does_not_exist:
      return value == nullptr;
  }
  return false;
}

std::string label_requirement::to_string() const {
  auto list = [this] {
    std::string out = "(";
    for (size_t i = 0; i < values.size(); ++i) out += (i ? "," : "") + values[i];
    return out + ")";
  };
  auto first = values.empty() ? std::string() : values[0];
  switch (operation) {
    case op::equals:
      return key + "=" + first;
    case op::not_equals:
      return key + "!=" + first;
    case op::in:
      return key + " in " + list();
    case op::not_in:
      return key + " notin " + list();
    case op::exists:
      return key;
    case op::does_not_exist:
      return "!" + key;
  }
  return key;
}

result<label_selector> label_selector::parse(std::string_view text) {
  lexer lx(text);
  label_selector sel;
  std::string quoted = "\"" + shortened(text) + "\"";
  if (lx.peek().kind == tok::end) return sel;
  for (;;) {
    label_requirement r;
    if (std::string why = parse_requirement(lx, r); !why.empty()) return invalid(quoted, why);
    sel.add(std::move(r));
    token t = lx.next();
    if (t.kind == tok::end) return sel;
    if (t.kind != tok::comma)
      return invalid(quoted, "expected ',' or the end, found " + describe(t));
  }
}

result<label_selector> label_selector::from_json(const nlohmann::json& selector) {
  std::string shown = shortened(selector.dump());
  if (!selector.is_object()) return invalid(shown, "it is not a JSON object");
  label_selector sel;
  auto labels = selector.find("matchLabels");
  if (labels != selector.end() && !labels->is_null()) {
    if (!labels->is_object()) return invalid(shown, "matchLabels is not an object");
    for (const auto& [key, value] : labels->items()) {
      if (!value.is_string()) return invalid(shown, "label \"" + key + "\" is not a string");
      if (std::string why = check(key, {value.get<std::string>()}); !why.empty())
        return invalid(shown, why);
      sel.equals(key, value.get<std::string>());
    }
  }
  auto expressions = selector.find("matchExpressions");
  if (expressions == selector.end() || expressions->is_null()) return sel;
  if (!expressions->is_array()) return invalid(shown, "matchExpressions is not an array");
  static const std::pair<const char*, op> operators[] = {{"In", op::in},
                                                         {"NotIn", op::not_in},
                                                         {"Exists", op::exists},
                                                         {"DoesNotExist", op::does_not_exist}};
  for (const auto& e : *expressions) {
    if (!e.is_object() || !e.contains("key") || !e["key"].is_string() || !e.contains("operator") ||
        !e["operator"].is_string())
      return invalid(shown, "an expression lacks a string key or operator");
    label_requirement r;
    r.key = e["key"].get<std::string>();
    std::string oper = e["operator"].get<std::string>();
    if (auto v = e.find("values"); v != e.end() && !v->is_null()) {
      if (!v->is_array()) return invalid(shown, "values of \"" + r.key + "\" is not an array");
      for (const auto& item : *v) {
        if (!item.is_string())
          return invalid(shown, "a value of \"" + r.key + "\" is not a string");
        r.values.push_back(item.get<std::string>());
      }
    }
    if (std::string why = check(r.key, r.values); !why.empty()) return invalid(shown, why);
    auto known = std::find_if(std::begin(operators), std::end(operators),
                              [&](const auto& o) { return oper == o.first; });
    if (known == std::end(operators))
      return invalid(shown, "\"" + oper + "\" is not a valid operator");
    r.operation = known->second;
    bool needs_values = r.operation == op::in || r.operation == op::not_in;
    if (needs_values == r.values.empty())
      return invalid(shown,
                     "operator " + oper + (needs_values ? " needs values" : " takes no values"));
    sel.add(std::move(r));
  }
  return sel;
}

label_selector& label_selector::add(label_requirement r) {
  std::sort(r.values.begin(), r.values.end());
  r.values.erase(std::unique(r.values.begin(), r.values.end()), r.values.end());
  auto at =
      std::upper_bound(requirements_.begin(), requirements_.end(), r.key,
                       [](const std::string& k, const label_requirement& x) { return k < x.key; });
  requirements_.insert(at, std::move(r));
  return *this;
}

label_selector& label_selector::equals(std::string key, std::string value) {
  return add({std::move(key), op::equals, {std::move(value)}});
}
label_selector& label_selector::not_equals(std::string key, std::string value) {
  return add({std::move(key), op::not_equals, {std::move(value)}});
}
label_selector& label_selector::in(std::string key, std::vector<std::string> values) {
  return add({std::move(key), op::in, std::move(values)});
}
label_selector& label_selector::not_in(std::string key, std::vector<std::string> values) {
  return add({std::move(key), op::not_in, std::move(values)});
}
label_selector& label_selector::exists(std::string key) {
  return add({std::move(key), op::exists, {}});
}
label_selector& label_selector::does_not_exist(std::string key) {
  return add({std::move(key), op::does_not_exist, {}});
}

bool label_selector::matches(const nlohmann::json& labels) const {
  return std::all_of(requirements_.begin(), requirements_.end(),
                     [&](const label_requirement& r) { return r.matches(labels); });
}

std::string label_selector::to_string() const {
  std::string out;
  for (const auto& r : requirements_) out += (out.empty() ? "" : ",") + r.to_string();
  return out;
}

}  // namespace k8s
