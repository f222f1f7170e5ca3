// Pod templates are schema-less in the CRD (they are preserved, not validated, by the API
// server), so a mistake in one would otherwise surface only as a failed pod creation.

#include <map>
#include <string>

#include "k8s/names.hpp"
#include "k8s/quantity.hpp"
#include "ray/validation_support.hpp"

namespace ray::validation_detail {

using nlohmann::json;

namespace {

bool missing(const json& obj, const char* key) {
  auto it = obj.find(key);
  return it == obj.end() || it->is_null();
}

std::optional<k8s::quantity> check_quantity(checker& c, const json& value,
                                            const std::string& path) {
  std::string text;
  if (value.is_string()) {
    text = value.get<std::string>();
  } else if (value.is_number()) {
    text = value.dump();
  } else {
    c.add(path, "must be a quantity such as \"500m\", \"2\" or \"4Gi\", not " + quoted(value));
    return std::nullopt;
  }
  auto parsed = k8s::quantity::parse(text);
  if (!parsed) {
    c.add(path, quoted(value) +
                    " is not a valid quantity (write a number with an optional "
                    "suffix, such as \"500m\", \"2\" or \"4Gi\")");
    return std::nullopt;
  }
  if (parsed.value().is_negative()) {
    c.add(path, quoted(value) + " is negative; resource quantities must be zero or more");
    return std::nullopt;
  }
  return parsed.value();
}

void check_ports(checker& c, const json& container, const std::string& path) {
  const json* ports = c.array(container, "ports", path);
  if (!ports) return;
  std::string ports_path = field_path(path, "ports");
  for (size_t i = 0; i < ports->size(); ++i) {
    const json& port = (*ports)[i];
    std::string port_path = index_path(ports_path, i);
    if (!port.is_object()) {
      c.add(port_path, "must be an object with a containerPort, not " + quoted(port));
      continue;
    }
    if (missing(port, "containerPort"))
      c.add(field_path(port_path, "containerPort"), "is required (a port number, 1-65535)");
    else
      c.bounded_integer(port, "containerPort", port_path, 1, 65535);
    c.string(port, "name", port_path);
    c.one_of(port, "protocol", port_path, {"TCP", "UDP", "SCTP"});
  }
}

void check_env(checker& c, const json& container, const std::string& path) {
  const json* env = c.array(container, "env", path);
  if (!env) return;
  std::string env_path = field_path(path, "env");
  for (size_t i = 0; i < env->size(); ++i) {
    const json& var = (*env)[i];
    std::string var_path = index_path(env_path, i);
    if (!var.is_object()) {
      c.add(var_path, "must be an object with a name, not " + quoted(var));
      continue;
    }
    auto name = var.find("name");
    if (name == var.end() || name->is_null())
      c.add(field_path(var_path, "name"), "is required (the variable's name)");
    else if (const json* text = c.string(var, "name", var_path);
             text && text->get_ref<const std::string&>().empty())
      c.add(field_path(var_path, "name"), "must not be empty");
    c.string(var, "value", var_path);
  }
}

// The Ray container (index 0) may leave name and image to the defaults; the others are passed
// to Kubernetes as written, which requires both.
void check_container(checker& c, const json& container, const std::string& path, bool is_ray) {
  const json* name = c.string(container, "name", path);
  if (name) {
    std::string why = k8s::validate_dns1123_label(name->get<std::string>());
    if (!why.empty())
      c.add(field_path(path, "name"), quoted(*name) + " is not a valid container name: " + why);
  } else if (!is_ray && missing(container, "name")) {
    c.add(field_path(path, "name"),
          "is required for every container but the first (the Ray container)");
  }
  const json* image = c.string(container, "image", path);
  if (image && image->get<std::string>().empty()) {
    c.add(field_path(path, "image"), "must not be empty");
  } else if (!image && !is_ray && missing(container, "image")) {
    c.add(field_path(path, "image"),
          "is required for every container but the first (the Ray container)");
  }
  c.one_of(container, "imagePullPolicy", path, {"Always", "IfNotPresent", "Never"});
  c.array_of(container, "command", path, json::value_t::string);
  c.array_of(container, "args", path, json::value_t::string);
  check_env(c, container, path);
  check_ports(c, container, path);
  if (const json* resources = c.object(container, "resources", path))
    check_resource_requirements(c, *resources, field_path(path, "resources"));
}

bool declares_quantity(const json& resources, const char* name) {
  for (const char* list : {"limits", "requests"}) {
    auto it = resources.find(list);
    if (it != resources.end() && it->is_object() && it->contains(name)) return true;
  }
  return false;
}

bool declares_any(const json& resources) {
  for (const char* list : {"limits", "requests"}) {
    auto it = resources.find(list);
    if (it != resources.end() && it->is_object() && !it->empty()) return true;
  }
  return false;
}

}  // namespace

void check_resource_requirements(checker& c, const json& resources, const std::string& path) {
  std::map<std::string, k8s::quantity> limits;
  for (const char* list : {"limits", "requests"}) {
    const json* quantities = c.object(resources, list, path);
    if (!quantities) continue;
    std::string list_path = field_path(path, list);
    bool is_limits = std::string(list) == "limits";
    for (const auto& [name, value] : quantities->items()) {
      std::string q_path = field_path(list_path, name);
      auto q = check_quantity(c, value, q_path);
      if (!q) continue;
      if (is_limits) {
        limits[name] = *q;
      } else if (auto limit = limits.find(name); limit != limits.end() && *q > limit->second) {
        c.add(q_path, quoted(value) + " is greater than the limit (" + limit->second.to_string() +
                          "); a request may not exceed its limit");
      }
    }
  }
}

void check_labels(checker& c, const json& labels, const std::string& path) {
  for (const auto& [key, value] : labels.items()) {
    std::string why = k8s::validate_qualified_name(key);
    if (!why.empty())
      c.add(field_path(path, key), "\"" + key + "\" is not a valid label key: " + why);
    if (!value.is_string()) continue;
    why = k8s::validate_label_value(value.get<std::string>());
    if (!why.empty())
      c.add(field_path(path, key), quoted(value) + " is not a valid label value: " + why);
  }
}

void check_pod_template(checker& c, const json& group, const std::string& group_path,
                        const template_rules& rules) {
  const json* tmpl = c.object(group, "template", group_path);
  if (!tmpl) return;
  std::string path = field_path(group_path, "template");
  if (const json* metadata = c.object(*tmpl, "metadata", path)) {
    std::string metadata_path = field_path(path, "metadata");
    if (const json* labels = c.string_map(*metadata, "labels", metadata_path))
      check_labels(c, *labels, field_path(metadata_path, "labels"));
    c.string_map(*metadata, "annotations", metadata_path);
  }

  const json* spec = c.object(*tmpl, "spec", path);
  if (!spec) return;
  std::string spec_path = field_path(path, "spec");
  if (const json* containers = c.array(*spec, "containers", spec_path)) {
    std::string containers_path = field_path(spec_path, "containers");
    if (containers->empty())
      c.add(containers_path,
            "must list at least one container; the first one runs Ray (leave containers out "
            "to get the default Ray container)");
    std::map<std::string, size_t> names;
    for (size_t i = 0; i < containers->size(); ++i) {
      const json& container = (*containers)[i];
      std::string container_path = index_path(containers_path, i);
      if (!container.is_object()) {
        c.add(container_path, "must be an object (a container), not " + quoted(container));
        continue;
      }
      check_container(c, container, container_path, i == 0);
      auto name = container.find("name");
      if (name == container.end() || !name->is_string()) continue;
      auto [first, inserted] = names.emplace(name->get<std::string>(), i);
      if (!inserted)
        c.add(field_path(container_path, "name"), quoted(*name) + " is already the name of " +
                                                      index_path(containers_path, first->second) +
                                                      "; container names must be unique in a pod");
    }
    // Without a CPU count the Ray autoscaler cannot size the group and crash-loops; the
    // defaults add one only when the Ray container declares no resources at all.
    if (rules.autoscaling && !rules.has_num_cpus && !containers->empty() &&
        (*containers)[0].is_object()) {
      auto resources = (*containers)[0].find("resources");
      if (resources != (*containers)[0].end() && resources->is_object() &&
          declares_any(*resources) && !declares_quantity(*resources, "cpu"))
        c.add(field_path(index_path(containers_path, 0), "resources"),
              "declares no cpu limit or request; with enableInTreeAutoscaling the Ray autoscaler "
              "needs one (or rayStartParams num-cpus) to know the group's CPU count");
    }
  }
  c.array_of(*spec, "initContainers", spec_path, json::value_t::object);
  c.array_of(*spec, "volumes", spec_path, json::value_t::object);
  c.one_of(*spec, "restartPolicy", spec_path, {"Always", "OnFailure", "Never"});
  auto policy = spec->find("restartPolicy");
  if (rules.autoscaler_v2 && policy != spec->end() && policy->is_string() && *policy != "Never")
    c.add(field_path(spec_path, "restartPolicy"),
          quoted(*policy) +
              " is not allowed with autoscalerOptions.version v2, which needs "
              "restartPolicy Never (or unset) so a restarted container never "
              "comes back as a new Ray node");
}

}  // namespace ray::validation_detail
