// Kubeconfig files. The in-cluster and start-up defaults are in in_cluster.cpp.

#include "k8s/config.hpp"

#include <filesystem>
#include <map>
#include <optional>
#include <utility>

#include <nlohmann/json.hpp>

#include "k8s/base64.hpp"
#include "k8s/read_file.hpp"
#include "k8s/yaml_json.hpp"

namespace k8s {

namespace {

using nlohmann::json;

const char* const use_instead = "use a token, tokenFile or client certificate";

std::string quoted(const std::string& kind, const std::string& name) {
  return kind + " \"" + name + "\"";
}

std::string type_of(const json& value) {
  if (value.is_array()) return "a list";
  if (value.is_object()) return "a mapping";
  if (value.is_string()) return "a string";
  if (value.is_boolean()) return "a boolean";
  if (value.is_number()) return "a number";
  return "null";
}

// Reads one kubeconfig. Every error starts with the origin and the entry it concerns, e.g.
// `kubeconfig /home/me/.kube/config, user "admin": ...`.
class kubeconfig_reader {
 public:
  kubeconfig_reader(std::string origin, std::string base_dir)
      : origin_(std::move(origin)), base_dir_(std::move(base_dir)) {}

  [[noreturn]] void fail(const std::string& where, const std::string& what) const {
    throw config_error(origin_ + (where.empty() ? "" : ", " + where) + ": " + what);
  }

  // Absent and null both read as "not set", as they do for kubectl.
  static const json* field(const json& object, const char* key) {
    auto it = object.find(key);
    if (it == object.end() || it->is_null()) return nullptr;
    return &*it;
  }

  std::string string_field(const json& object, const char* key, const std::string& where) const {
    const json* value = field(object, key);
    if (!value) return {};
    if (!value->is_string())
      fail(where, "`" + std::string(key) + "` must be a string, not " + type_of(*value));
    return value->get<std::string>();
  }

  bool bool_field(const json& object, const char* key, const std::string& where) const {
    const json* value = field(object, key);
    if (!value) return false;
    if (!value->is_boolean())
      fail(where, "`" + std::string(key) + "` must be true or false, not " + type_of(*value));
    return value->get<bool>();
  }

  // `clusters`, `users` and `contexts`: lists of {name, <body>}, returned by name.
  std::map<std::string, json> named_list(const json& doc, const char* list,
                                         const char* body) const {
    std::map<std::string, json> out;
    const json* entries = field(doc, list);
    if (!entries) return out;
    const std::string what = "`" + std::string(list) + "`";
    if (!entries->is_array()) fail("", what + " must be a list, not " + type_of(*entries));
    for (size_t i = 0; i < entries->size(); ++i) {
      const json& entry = (*entries)[i];
      const std::string where = what + " entry " + std::to_string(i + 1);
      if (!entry.is_object()) fail(where, "must be a mapping, not " + type_of(entry));
      std::string name = string_field(entry, "name", where);
      if (name.empty()) fail(where, "has no name");
      const json* value = field(entry, body);
      if (value && !value->is_object()) {
        fail(quoted(body, name),
             "`" + std::string(body) + "` must be a mapping, not " + type_of(*value));
      }
      out[name] = value ? *value : json::object();
    }
    return out;
  }

  std::string resolve_path(const std::string& path) const {
    if (base_dir_.empty()) return path;
    return (std::filesystem::path(base_dir_) / path).string();  // an absolute path stays as is
  }

  // PEM text from `<file_key>` (a path) or `<file_key>-data` (base64); empty when neither is set.
  std::string pem(const json& object, const std::string& file_key, const std::string& where) const {
    const std::string data_key = file_key + "-data";
    std::string file = string_field(object, file_key.c_str(), where);
    std::string data = string_field(object, data_key.c_str(), where);
    if (!file.empty() && !data.empty())
      fail(where, "both `" + file_key + "` and `" + data_key + "` are set; use one");
    std::string text;
    if (!data.empty()) {
      auto decoded = decode_base64(data);
      if (!decoded) fail(where, "`" + data_key + "` is not valid base64");
      text = std::move(*decoded);
    } else if (!file.empty()) {
      std::string path = resolve_path(file), reason;
      auto contents = detail::read_file(path, reason);
      if (!contents) fail(where, "cannot read `" + file_key + "` " + path + ": " + reason);
      text = std::move(*contents);
    } else {
      return {};
    }
    if (text.find("-----BEGIN ") == std::string::npos) {
      fail(where, "`" + (data.empty() ? file_key : data_key) + "` does not contain PEM data");
    }
    return text;
  }

  void read_cluster(const json& cluster, const std::string& where, config& out) const {
    if (field(cluster, "proxy-url")) fail(where, "`proxy-url` is not supported");
    std::string server = string_field(cluster, "server", where);
    while (!server.empty() && server.back() == '/') server.pop_back();
    if (server.empty()) fail(where, "no server is set");
    auto scheme_end = server.find("://");
    std::string scheme = scheme_end == std::string::npos ? "" : server.substr(0, scheme_end);
    if ((scheme != "https" && scheme != "http") || server.size() == scheme_end + 3) {
      fail(where, "server \"" + server + "\" must be an https:// or http:// URL");
    }
    out.server = server;
    out.tls.ca_pem = pem(cluster, "certificate-authority", where);
    out.tls.insecure_skip_verify = bool_field(cluster, "insecure-skip-tls-verify", where);
    out.tls.server_name = string_field(cluster, "tls-server-name", where);
    if (out.tls.insecure_skip_verify && !out.tls.ca_pem.empty()) {
      fail(where,
           "specifying a root certificates file with the insecure flag is not allowed "
           "(insecure-skip-tls-verify is set together with a certificate authority)");
    }
  }

  void reject_unsupported(const json& user, const std::string& where) const {
    if (const json* exec = field(user, "exec")) {
      std::string command = exec->is_object() ? string_field(*exec, "command", where) : "";
      fail(where, "exec credential plugins (command: " + (command.empty() ? "?" : command) +
                      ") are not supported; " + use_instead);
    }
    if (const json* provider = field(user, "auth-provider")) {
      std::string name = provider->is_object() ? string_field(*provider, "name", where) : "";
      fail(where, "auth provider \"" + name + "\" is not supported; " + use_instead);
    }
    if (field(user, "username") || field(user, "password")) {
      fail(where, std::string("basic authentication (username/password) is not supported; ") +
                      use_instead);
    }
    // Ignoring these would act as the wrong identity.
    for (const char* key : {"as", "as-uid", "as-groups", "as-user-extra"}) {
      if (field(user, key))
        fail(where, "impersonation (`" + std::string(key) + "`) is not supported");
    }
  }

  void read_user(const json& user, const std::string& where, config& out) const {
    reject_unsupported(user, where);
    // With both set, client-go sends the file's token and keeps `token` only as a fallback;
    // the file is the one that stays current, so it wins here.
    std::string token_file = string_field(user, "tokenFile", where);
    std::string token = string_field(user, "token", where);
    if (!token_file.empty()) {
      try {
        out.token = token_source::from_file(resolve_path(token_file));
      } catch (const config_error& e) {
        fail(where, e.what());
      }
    } else if (!token.empty()) {
      out.token = token_source::fixed(token);
    }
    out.tls.client_cert_pem = pem(user, "client-certificate", where);
    out.tls.client_key_pem = pem(user, "client-key", where);
    if (out.tls.client_cert_pem.empty() != out.tls.client_key_pem.empty()) {
      fail(where, out.tls.client_key_pem.empty() ? "has a client certificate but no client key"
                                                 : "has a client key but no client certificate");
    }
  }

 private:
  std::string origin_;
  std::string base_dir_;
};

std::string names(const std::map<std::string, json>& entries) {
  if (entries.empty()) return "none are defined";
  std::string list;
  for (const auto& entry : entries) list += (list.empty() ? "" : ", ") + entry.first;
  return "available: " + list;
}

}  // namespace

config parse_kubeconfig(const std::string& yaml_text, const std::string& base_dir,
                        const std::string& context, const std::string& origin) {
  kubeconfig_reader reader(origin, base_dir);
  json doc;
  try {
    doc = parse_yaml(yaml_text);
  } catch (const yaml_error& e) {
    reader.fail("", std::string("not valid YAML: ") + e.what());
  }
  if (doc.is_null()) reader.fail("", "the kubeconfig is empty");
  if (!doc.is_object()) reader.fail("", "expected a mapping at the top level, not " + type_of(doc));

  auto clusters = reader.named_list(doc, "clusters", "cluster");
  auto users = reader.named_list(doc, "users", "user");
  auto contexts = reader.named_list(doc, "contexts", "context");

  std::string name = context.empty() ? reader.string_field(doc, "current-context", "") : context;
  if (name.empty()) {
    reader.fail("", "no context given and `current-context` is not set (" + names(contexts) + ")");
  }
  auto ctx = contexts.find(name);
  if (ctx == contexts.end())
    reader.fail("", quoted("context", name) + " not found (" + names(contexts) + ")");
  const std::string ctx_where = quoted("context", name);

  config out;
  out.origin = origin + ", context " + name;
  std::string ns = reader.string_field(ctx->second, "namespace", ctx_where);
  if (!ns.empty()) out.default_namespace = ns;

  std::string cluster_name = reader.string_field(ctx->second, "cluster", ctx_where);
  if (cluster_name.empty()) reader.fail(ctx_where, "no cluster is set");
  auto cluster = clusters.find(cluster_name);
  if (cluster == clusters.end()) {
    reader.fail(ctx_where,
                quoted("cluster", cluster_name) + " not found (" + names(clusters) + ")");
  }
  reader.read_cluster(cluster->second, quoted("cluster", cluster_name), out);

  // A context without a user is legal: it talks to the server anonymously.
  std::string user_name = reader.string_field(ctx->second, "user", ctx_where);
  if (!user_name.empty()) {
    auto user = users.find(user_name);
    if (user == users.end()) {
      reader.fail(ctx_where, quoted("user", user_name) + " not found (" + names(users) + ")");
    }
    reader.read_user(user->second, quoted("user", user_name), out);
  }
  return out;
}

config load_kubeconfig(const std::string& path, const std::string& context) {
  std::string reason;
  auto text = detail::read_file(path, reason);
  if (!text) throw config_error("cannot read kubeconfig " + path + ": " + reason);
  std::string base_dir = std::filesystem::path(path).parent_path().string();
  return parse_kubeconfig(*text, base_dir, context, "kubeconfig " + path);
}

}  // namespace k8s
