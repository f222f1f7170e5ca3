#pragma once
// Kubernetes name and label syntax, checked before a request is sent so that a bad name is
// reported with its reason instead of as a 422 from the API server. Each function returns an
// empty string when the value is valid, else one sentence saying why it is not, worded like
// the API server's own validation messages.

#include <string>
#include <string_view>

namespace k8s {

// Most object names (namespaces, services): at most 63 of [a-z0-9-], alphanumeric at both ends.
std::string validate_dns1123_label(std::string_view value);

// Most other object names (pods, config maps): dot-separated labels, at most 253 characters.
std::string validate_dns1123_subdomain(std::string_view value);

// Names that must also start with a letter (e.g. service port names).
std::string validate_dns1035_label(std::string_view value);

// Label and annotation keys: an optional DNS subdomain prefix and "/", then a name of at most
// 63 of [A-Za-z0-9-_.], alphanumeric at both ends ("ray.io/node-type", "app").
std::string validate_qualified_name(std::string_view value);

// Label values: empty, or at most 63 of [A-Za-z0-9-_.], alphanumeric at both ends.
std::string validate_label_value(std::string_view value);

// A name made from a generateName prefix exactly as the API server makes one: the prefix cut
// to 58 characters, then 5 random characters of "bcdfghjklmnpqrstvwxz2456789". A client that
// chooses the name itself can repeat a create whose outcome it did not learn: the repeat
// either creates the object or says it already exists, never makes a second one.
std::string generate_name(std::string_view prefix);

}  // namespace k8s
