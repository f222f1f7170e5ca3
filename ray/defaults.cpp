#include "ray/defaults.hpp"

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>

#include "ray/constants.hpp"

namespace ray {

namespace {

using nlohmann::json;

// A null member means the same as a missing one: a merge patch cannot store a null, and the
// API server prunes them from custom resources.
bool absent(const json& obj, const char* key) {
  auto it = obj.find(key);
  return it == obj.end() || it->is_null();
}

// The member `key` of `obj`, set to `value` first when absent. The member keeps whatever type
// it had, so callers check it before going further.
json& ensure(json& obj, const char* key, json value) {
  if (absent(obj, key)) obj[key] = std::move(value);
  return obj[key];
}

bool is_empty_string(const json& v) {
  return v.is_string() && v.get_ref<const std::string&>().empty();
}

bool is_finite_number(const json& v) {
  return v.is_number() && std::isfinite(v.get<double>());
}

// The Ray autoscaler reads only idleTimeoutSeconds and upscalingMode; the seed writes the
// older idleTimeoutMinutes and upscalingSpeed, which are kept and translated beside them.
void translate_seed_autoscaler_options(json& options) {
  auto minutes = options.find("idleTimeoutMinutes");
  if (absent(options, "idleTimeoutSeconds") && minutes != options.end() &&
      is_finite_number(*minutes)) {
    double seconds = std::round(minutes->get<double>() * 60);
    if (seconds >= 0 && seconds <= std::numeric_limits<int32_t>::max())
      options["idleTimeoutSeconds"] = static_cast<int64_t>(seconds);
  }
  auto speed = options.find("upscalingSpeed");
  if (absent(options, "upscalingMode") && speed != options.end() && is_finite_number(*speed)) {
    // Ray maps Conservative to upscaling_speed 1 and every other mode to 1000.
    options["upscalingMode"] = speed->get<double>() <= 1 ? "Conservative" : "Default";
  }
}

std::string ray_image(const json& spec) {
  auto version = spec.find("rayVersion");
  bool known =
      version != spec.end() && version->is_string() && !version->get<std::string>().empty();
  return std::string(default_image_repository) + ":" +
         (known ? version->get<std::string>() : std::string("latest"));
}

bool is_non_empty_object(const json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_object() && !it->empty();
}

// The Ray autoscaler derives a group's CPU count from containers[0].resources and crash-loops
// without one, so a Ray container that declares nothing gets requests = limits.
void default_resources(json& container, const char* cpu, const char* memory) {
  if (!absent(container, "resources")) {
    const json& declared = container["resources"];
    if (!declared.is_object()) return;
    if (is_non_empty_object(declared, "limits") || is_non_empty_object(declared, "requests"))
      return;
  }
  json& resources = ensure(container, "resources", json::object());
  for (const char* list : {"limits", "requests"}) {
    json& quantities = ensure(resources, list, json::object());
    if (!quantities.is_object()) continue;
    ensure(quantities, "cpu", cpu);
    ensure(quantities, "memory", memory);
  }
}

void default_ray_container(json& group, const char* name, const std::string& image, const char* cpu,
                           const char* memory) {
  json& tmpl = ensure(group, "template", json::object());
  if (!tmpl.is_object()) return;
  json& pod_spec = ensure(tmpl, "spec", json::object());
  if (!pod_spec.is_object()) return;
  json& containers = ensure(pod_spec, "containers", json::array({json::object()}));
  if (!containers.is_array() || containers.empty() || !containers[0].is_object()) return;
  json& ray = containers[0];
  ensure(ray, "name", name);
  ensure(ray, "image", image);
  default_resources(ray, cpu, memory);
}

// KubeRay lets a custom head Service's type win over serviceType; taking it as the default
// keeps serviceType telling the truth about the Service that gets built.
std::string head_service_type(const json& spec, const json& head) {
  auto seed_service = spec.find("headService");
  if (seed_service != spec.end() && seed_service->is_object()) {
    auto type = seed_service->find("type");
    if (type != seed_service->end() && type->is_string() && !type->get<std::string>().empty())
      return type->get<std::string>();
  }
  auto service = head.find("headService");
  if (service != head.end() && service->is_object()) {
    auto service_spec = service->find("spec");
    if (service_spec != service->end() && service_spec->is_object()) {
      auto type = service_spec->find("type");
      if (type != service_spec->end() && type->is_string() && !type->get<std::string>().empty())
        return type->get<std::string>();
    }
  }
  return "ClusterIP";
}

void default_head_group(json& head, const json& spec, const std::string& image) {
  ensure(head, "rayStartParams", json::object());
  if (absent(head, "serviceType")) head["serviceType"] = head_service_type(spec, head);
  default_ray_container(head, head_container, image, default_head_cpu, default_head_memory);
}

void default_worker_group(json& group, const std::string& image) {
  const json& min = ensure(group, "minReplicas", 0);
  // KubeRay treats a missing replicas as minReplicas; writing it down makes that explicit for
  // the autoscaler, which indexes replicas directly.
  if (absent(group, "replicas")) group["replicas"] = min.is_number() ? min : json(0);
  ensure(group, "maxReplicas", default_max_replicas);
  ensure(group, "numOfHosts", 1);
  ensure(group, "rayStartParams", json::object());
  default_ray_container(group, worker_container, image, default_worker_cpu, default_worker_memory);
}

void default_spec(json& spec) {
  ensure(spec, "rayVersion", "");
  ensure(spec, "enableInTreeAutoscaling", false);
  ensure(spec, "suspend", false);
  json& options = ensure(spec, "autoscalerOptions", json::object());
  if (options.is_object()) translate_seed_autoscaler_options(options);

  std::string image = ray_image(spec);
  json& head = ensure(spec, "headGroupSpec", json::object());
  if (head.is_object()) default_head_group(head, spec, image);

  json& workers = ensure(spec, "workerGroupSpecs", json::array());
  if (workers.is_array())
    for (json& group : workers)
      if (group.is_object()) default_worker_group(group, image);
}

// What `defaulted` adds to `current`. Arrays cannot be merged element by element, so an array
// that gained something is carried whole; with_defaults() never changes an existing value, so
// the carried array holds every element and value of the current one. An added empty string
// (rayVersion without a version) tells a reader nothing a missing field does not, so it is
// left out rather than stored.
json added_fields(const json& current, const json& defaulted) {
  json patch = json::object();
  if (!current.is_object() || !defaulted.is_object()) return patch;
  for (const auto& [key, value] : defaulted.items()) {
    if (value.is_null() || is_empty_string(value)) continue;
    auto it = current.find(key);
    if (it == current.end() || it->is_null()) {
      patch[key] = value;
    } else if (it->is_object() && value.is_object()) {
      json nested = added_fields(*it, value);
      if (!nested.empty()) patch[key] = std::move(nested);
    } else if (it->is_array() && value.is_array() && *it != value) {
      patch[key] = value;
    }
  }
  return patch;
}

}  // namespace

json with_defaults(const json& raycluster) {
  json rc = raycluster;
  if (!rc.is_object()) return rc;

  json& metadata = ensure(rc, "metadata", json::object());
  if (metadata.is_object()) {
    // An empty namespace means "default" to the API server as well.
    auto ns = metadata.find("namespace");
    if (ns == metadata.end() || ns->is_null() || is_empty_string(*ns))
      metadata["namespace"] = "default";
  }

  json& spec = ensure(rc, "spec", json::object());
  if (spec.is_object()) default_spec(spec);
  return rc;
}

json defaults_patch(const json& raycluster) {
  if (!raycluster.is_object()) return json::object();
  json defaulted = with_defaults(raycluster);

  // Only the spec is written: the namespace is fixed by the URL, and status has its own
  // subresource.
  auto spec = raycluster.find("spec");
  bool has_spec = spec != raycluster.end() && !spec->is_null();
  json spec_patch = added_fields(has_spec ? *spec : json::object(), defaulted["spec"]);
  if (spec_patch.empty()) return json::object();

  json patch = {{"spec", std::move(spec_patch)}};
  auto metadata = raycluster.find("metadata");
  if (metadata != raycluster.end() && metadata->is_object()) {
    auto version = metadata->find("resourceVersion");
    if (version != metadata->end() && version->is_string() && !is_empty_string(*version))
      patch["metadata"] = {{"resourceVersion", *version}};
  }
  return patch;
}

}  // namespace ray
