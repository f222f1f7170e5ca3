#include "ray/redis_cleanup.hpp"

#include <cctype>

#include "ray/children.hpp"
#include "ray/pod_parts.hpp"

namespace ray {

using detail::member;
using detail::text;
using nlohmann::json;

bool keeps_state_in_redis(const json& cluster) {
  if (!detail::gcs_ft_enabled(cluster)) return false;
  const json& options = member(member(cluster, "spec"), "gcsFaultToleranceOptions");
  return text(member(options, "backend")) != "rocksdb";
}

namespace {

// The env var `name` of `container`: its literal value or its Secret key; nullopt when absent or
// read from elsewhere (a ConfigMap, a field), which a cleanup cannot follow.
std::variant<std::monostate, value_source, std::string> env_source(const json& container,
                                                                   const std::string& name) {
  const json& env = member(container, "env");
  if (!env.is_array()) return std::monostate{};
  for (const auto& var : env) {
    if (text(member(var, "name")) != name) continue;
    const json& from = member(var, "valueFrom");
    if (!from.is_object()) return value_source{text(member(var, "value")), {}, {}};
    const json& secret = member(from, "secretKeyRef");
    if (secret.is_object() && !text(member(secret, "name")).empty())
      return value_source{{}, text(member(secret, "name")), text(member(secret, "key"))};
    return "the head's env " + name + " is read from something other than a Secret's key";
  }
  return std::monostate{};
}

}  // namespace

std::variant<redis_cleanup_plan, std::string> plan_redis_cleanup(const json& defaulted) {
  const json head = desired_head_pod_template(defaulted);
  const json& containers = member(member(head, "spec"), "containers");
  if (!containers.is_array() || containers.empty()) return std::string("the head has no container");
  const json& ray_container = containers[0];
  redis_cleanup_plan plan;
  struct wanted {
    const char* env;
    value_source* into;
    bool required;
  };
  for (const wanted& w : {wanted{"RAY_REDIS_ADDRESS", &plan.address, true},
                          wanted{"REDIS_USERNAME", &plan.username, false},
                          wanted{"REDIS_PASSWORD", &plan.password, false}}) {
    auto source = env_source(ray_container, w.env);
    if (auto* error = std::get_if<std::string>(&source)) return *error;
    if (auto* found = std::get_if<value_source>(&source))
      *w.into = std::move(*found);
    else if (w.required)
      return std::string("the head has no env ") + w.env + " naming the Redis";
  }
  if (!plan.address.from_secret() && plan.address.value.empty())
    return std::string("the head's env RAY_REDIS_ADDRESS is empty");
  // The older form may give the password as a literal flag only (KubeRay copies it into the
  // env for its cleanup Job); a flag that refers to the env is the env's.
  if (plan.password.value.empty() && !plan.password.from_secret()) {
    const json& params =
        member(member(member(defaulted, "spec"), "headGroupSpec"), "rayStartParams");
    const std::string flag = text(member(params, "redis-password"));
    if (!flag.empty() && flag[0] != '$') plan.password.value = flag;
  }
  auto ns = env_source(ray_container, "RAY_external_storage_namespace");
  if (auto* found = std::get_if<value_source>(&ns); found && !found->from_secret())
    plan.storage_namespace = found->value;
  else
    plan.storage_namespace = detail::external_storage_namespace(defaulted);
  if (plan.storage_namespace.empty()) return std::string("the storage namespace is empty");
  plan.key_pattern = "RAY" + redis_glob_escape(plan.storage_namespace) + "@*";
  return plan;
}

namespace {

// %XX escapes of a URL's user or password.
std::string percent_decoded(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace

std::variant<redis_endpoint, std::string> parse_redis_address(std::string_view address) {
  redis_endpoint out;
  std::string_view rest = address.substr(0, address.find(','));
  while (!rest.empty() && std::isspace(static_cast<unsigned char>(rest.front())))
    rest.remove_prefix(1);
  while (!rest.empty() && std::isspace(static_cast<unsigned char>(rest.back())))
    rest.remove_suffix(1);
  if (auto scheme = rest.find("://"); scheme != std::string_view::npos) {
    const std::string_view name = rest.substr(0, scheme);
    if (name == "rediss")
      out.tls = true;
    else if (name != "redis")
      return "the Redis address " + std::string(address) + " has the scheme " + std::string(name) +
             ", not redis or rediss";
    rest.remove_prefix(scheme + 3);
  }
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (auto at = rest.rfind('@'); at != std::string_view::npos) {
    const std::string_view credentials = rest.substr(0, at);
    const auto colon = credentials.find(':');
    out.username = percent_decoded(credentials.substr(0, colon));
    if (colon != std::string_view::npos)
      out.password = percent_decoded(credentials.substr(colon + 1));
    rest.remove_prefix(at + 1);
  }
  std::string_view port;
  if (!rest.empty() && rest.front() == '[') {  // [IPv6]:port
    const auto close = rest.find(']');
    if (close == std::string_view::npos)
      return "the Redis address " + std::string(address) + " has no ]";
    out.host = std::string(rest.substr(1, close - 1));
    if (close + 1 < rest.size() && rest[close + 1] == ':') port = rest.substr(close + 2);
  } else {
    const auto colon = rest.rfind(':');
    out.host = std::string(rest.substr(0, colon));
    if (colon != std::string_view::npos) port = rest.substr(colon + 1);
  }
  if (out.host.empty()) return "the Redis address " + std::string(address) + " names no host";
  if (!port.empty()) {
    int value = 0;
    for (char c : port) {
      if (!std::isdigit(static_cast<unsigned char>(c)) || value > 65535)
        return "the Redis address " + std::string(address) + " has no valid port";
      value = value * 10 + (c - '0');
    }
    if (value < 1 || value > 65535)
      return "the Redis address " + std::string(address) + " has no valid port";
    out.port = value;
  }
  return out;
}

std::variant<std::chrono::seconds, std::string> gcs_ft_deletion_timeout(const json& cluster) {
  const std::string value = text(member(member(member(cluster, "metadata"), "annotations"),
                                        annotation_gcs_ft_deletion_timeout));
  if (value.empty()) return default_gcs_ft_deletion_timeout;
  const std::string bad = std::string("the annotation ") + annotation_gcs_ft_deletion_timeout +
                          " is \"" + value +
                          "\", not seconds or a duration such as 90s, 5m or 1h30m";
  int64_t total = 0, number = 0;
  bool digits = false, any_unit = false;
  for (char c : value) {
    if (std::isdigit(static_cast<unsigned char>(c))) {
      number = number * 10 + (c - '0');
      digits = true;
      if (number > 10'000'000) return bad;
      continue;
    }
    const int64_t unit = c == 'h' ? 3600 : c == 'm' ? 60 : c == 's' ? 1 : 0;
    if (!unit || !digits) return bad;
    total += number * unit;
    number = 0;
    digits = false;
    any_unit = true;
  }
  if (digits && any_unit) return bad;  // "5m30": a number without its unit
  if (digits) total = number;
  return std::chrono::seconds(total);
}

std::string redis_glob_escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace ray
