#include "k8s/names.hpp"

#include <random>

namespace k8s {

namespace {

constexpr size_t label_max_length = 63;
constexpr size_t subdomain_max_length = 253;

bool is_lower_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
bool is_alnum(char c) {
  return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

// [a-z0-9]([-a-z0-9]*[a-z0-9])?
bool is_label(std::string_view s) {
  if (s.empty() || !is_lower_alnum(s.front()) || !is_lower_alnum(s.back())) return false;
  for (char c : s)
    if (!is_lower_alnum(c) && c != '-') return false;
  return true;
}

bool is_subdomain(std::string_view s) {
  for (;;) {
    size_t dot = s.find('.');
    if (!is_label(s.substr(0, dot))) return false;
    if (dot == std::string_view::npos) return true;
    s.remove_prefix(dot + 1);
  }
}

// ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]
bool is_name_part(std::string_view s) {
  if (s.empty() || !is_alnum(s.front()) || !is_alnum(s.back())) return false;
  for (char c : s)
    if (!is_alnum(c) && c != '-' && c != '_' && c != '.') return false;
  return true;
}

std::string too_long(size_t max) {
  return "must be no more than " + std::to_string(max) + " characters";
}

const char* const label_syntax =
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
    "must start and end with an alphanumeric character (e.g. 'my-name', or '123-abc')";
const char* const subdomain_syntax =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'example.com')";
const char* const dns1035_syntax =
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
    "alphabetic character, and end with an alphanumeric character (e.g. 'my-name', or "
    "'abc-123')";
const char* const name_part_syntax =
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character (e.g. 'MyName', or 'my.name', or '123-abc')";
const char* const label_value_syntax =
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'MyValue', or "
    "'my_value', or '12345')";

}  // namespace

std::string validate_dns1123_label(std::string_view value) {
  if (value.size() > label_max_length) return too_long(label_max_length);
  return is_label(value) ? "" : label_syntax;
}

std::string validate_dns1123_subdomain(std::string_view value) {
  if (value.size() > subdomain_max_length) return too_long(subdomain_max_length);
  return is_subdomain(value) ? "" : subdomain_syntax;
}

std::string validate_dns1035_label(std::string_view value) {
  if (value.size() > label_max_length) return too_long(label_max_length);
  bool starts_with_letter = !value.empty() && value.front() >= 'a' && value.front() <= 'z';
  return starts_with_letter && is_label(value) ? "" : dns1035_syntax;
}

std::string validate_qualified_name(std::string_view value) {
  std::string_view name = value;
  size_t slash = value.find('/');
  if (slash != std::string_view::npos) {
    std::string_view prefix = value.substr(0, slash);
    name = value.substr(slash + 1);
    if (name.find('/') != std::string_view::npos)
      return "a qualified name " + std::string(name_part_syntax) +
             " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')";
    if (prefix.empty()) return "prefix part must be non-empty";
    std::string why = validate_dns1123_subdomain(prefix);
    if (!why.empty()) return "prefix part " + why;
  }
  if (name.empty()) return "name part must be non-empty";
  if (name.size() > label_max_length) return "name part " + too_long(label_max_length);
  return is_name_part(name) ? "" : "name part " + std::string(name_part_syntax);
}

std::string validate_label_value(std::string_view value) {
  if (value.size() > label_max_length) return too_long(label_max_length);
  return value.empty() || is_name_part(value) ? "" : label_value_syntax;
}

std::string generate_name(std::string_view prefix) {
  static constexpr std::string_view alphabet = "bcdfghjklmnpqrstvwxz2456789";
  thread_local std::mt19937 rng{std::random_device{}()};
  std::uniform_int_distribution<size_t> pick(0, alphabet.size() - 1);
  std::string name(prefix.substr(0, 58));
  for (int i = 0; i < 5; ++i) name += alphabet[pick(rng)];
  return name;
}

}  // namespace k8s
