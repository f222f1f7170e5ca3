#include "ray/validation.hpp"

#include <cmath>
#include <map>
#include <optional>
#include <string>

#include "k8s/names.hpp"
#include "ray/constants.hpp"
#include "ray/validation_support.hpp"
#include "ray/workloads.hpp"

namespace ray {

namespace {

using nlohmann::json;
using validation_detail::checker;
using validation_detail::field_path;
using validation_detail::index_path;
using validation_detail::quoted;

bool missing(const json& obj, const char* key) {
  auto it = obj.find(key);
  return it == obj.end() || it->is_null();
}

bool is_true(const json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_boolean() && it->get<bool>();
}

std::string cluster_name_of(checker& c, const json& rc) {
  if (missing(rc, "metadata")) {
    c.add("metadata.name", "is required");
    return "";
  }
  const json* metadata = c.object(rc, "metadata", "");
  if (!metadata) return "";
  if (missing(*metadata, "name")) {
    c.add("metadata.name", "is required");
    return "";
  }
  const json* name = c.string(*metadata, "name", "metadata");
  if (!name) return "";
  std::string value = name->get<std::string>();
  if (value.size() > max_cluster_name_length) {
    c.add("metadata.name",
          "is " + std::to_string(value.size()) + " characters long; at most " +
              std::to_string(max_cluster_name_length) +
              " are allowed so that the names derived from it (the head Service <name>-head-svc, "
              "the head pod's controller-revision-hash label <name>-head-<10 characters>) fit "
              "in 63 characters");
  }
  std::string why = k8s::validate_dns1035_label(value);
  if (!why.empty() && value.size() <= 63)
    c.add("metadata.name", quoted(*name) + " is not a valid RayCluster name: " + why);
  return value;
}

// rayStartParams, and the group's Ray resources and labels, are KubeRay's map[string]string:
// other values would be rejected by KubeRay's typed client and rendered ambiguously on the
// ray start command line. Returns whether the group states its CPU count outside the
// container's resources.
bool check_ray_fields(checker& c, const json& group, const std::string& path) {
  const json* params = c.string_map(group, "rayStartParams", path);
  const json* resources = c.string_map(group, "resources", path);
  if (const json* labels = c.string_map(group, "labels", path))
    validation_detail::check_labels(c, *labels, field_path(path, "labels"));
  bool gives_cpu = resources && resources->contains("cpu");
  if (!params) return gives_cpu;
  std::string params_path = field_path(path, "rayStartParams");
  if (params->contains("labels"))
    c.add(field_path(params_path, "labels"),
          "is not allowed; set Ray node labels in the group's labels field instead");
  if (resources)
    for (const char* param : {"num-cpus", "num-gpus", "memory", "resources"})
      if (params->contains(param))
        c.add(field_path(params_path, param),
              "conflicts with the group's resources field; set one or the other");
  return gives_cpu || params->contains("num-cpus");
}

void check_autoscaler_options(checker& c, const json& spec) {
  const json* options = c.object(spec, "autoscalerOptions", "spec");
  if (!options) return;
  const std::string path = "spec.autoscalerOptions";
  auto seconds = c.bounded_integer(*options, "idleTimeoutSeconds", path, 0);
  auto minutes = c.number(*options, "idleTimeoutMinutes", path);
  if (minutes && *minutes < 0) {
    c.add(path + ".idleTimeoutMinutes",
          "must not be negative, not " + quoted((*options)["idleTimeoutMinutes"]));
    minutes.reset();
  } else if (minutes && std::round(*minutes * 60) > validation_detail::max_int32) {
    c.add(path + ".idleTimeoutMinutes", "is too large; at most " +
                                            std::to_string(validation_detail::max_int32 / 60) +
                                            " minutes are allowed");
    minutes.reset();
  }
  if (seconds && minutes && *seconds != static_cast<int64_t>(std::round(*minutes * 60))) {
    c.add(path + ".idleTimeoutSeconds",
          std::to_string(*seconds) + " disagrees with idleTimeoutMinutes (" +
              quoted((*options)["idleTimeoutMinutes"]) + ", that is " +
              std::to_string(static_cast<int64_t>(std::round(*minutes * 60))) +
              " seconds); set only one of them, or make them agree");
  }
  c.one_of(*options, "upscalingMode", path, {"Default", "Aggressive", "Conservative"});
  auto speed = c.number(*options, "upscalingSpeed", path);
  if (speed && *speed <= 0)
    c.add(path + ".upscalingSpeed",
          "must be greater than 0, not " + quoted((*options)["upscalingSpeed"]));
  c.one_of(*options, "version", path, {"v1", "v2"});
  c.string(*options, "image", path);
  c.one_of(*options, "imagePullPolicy", path, {"Always", "IfNotPresent", "Never"});
  if (const json* resources = c.object(*options, "resources", path))
    validation_detail::check_resource_requirements(c, *resources, path + ".resources");
  c.array_of(*options, "env", path, json::value_t::object);
  c.array_of(*options, "envFrom", path, json::value_t::object);
  c.array_of(*options, "volumeMounts", path, json::value_t::object);
  c.object(*options, "securityContext", path);
}

void check_volume_claim_templates(checker& c, const json& head, const std::string& path) {
  const json* templates = c.array(head, "volumeClaimTemplates", path);
  if (!templates) return;
  std::string list_path = field_path(path, "volumeClaimTemplates");
  std::map<std::string, size_t> names;
  for (size_t i = 0; i < templates->size(); ++i) {
    const json& t = (*templates)[i];
    std::string t_path = index_path(list_path, i);
    if (!t.is_object()) {
      c.add(t_path, "must be an object (a PersistentVolumeClaim template), not " + quoted(t));
      continue;
    }
    const json* metadata = c.object(t, "metadata", t_path);
    const json* name = metadata ? c.string(*metadata, "name", t_path + ".metadata") : nullptr;
    std::string name_path = t_path + ".metadata.name";
    if (!name) {
      if (metadata ? missing(*metadata, "name") : missing(t, "metadata"))
        c.add(name_path, "is required: it names the volume to mount in the pod's containers");
      continue;
    }
    std::string why = k8s::validate_dns1123_label(name->get<std::string>());
    if (!why.empty()) c.add(name_path, quoted(*name) + " is not a valid volume name: " + why);
    auto [first, inserted] = names.emplace(name->get<std::string>(), i);
    if (!inserted)
      c.add(name_path,
            quoted(*name) + " is already the name of " + index_path(list_path, first->second));
  }
}

void check_head_group(checker& c, const json& spec, validation_detail::template_rules rules) {
  const json* head = c.object(spec, "headGroupSpec", "spec");
  if (!head) return;
  const std::string path = "spec.headGroupSpec";
  rules.has_num_cpus = check_ray_fields(c, *head, path);
  c.one_of(*head, "serviceType", path, {"ClusterIP", "NodePort", "LoadBalancer"});
  if (const json* service = c.object(*head, "headService", path)) {
    const std::string service_path = path + ".headService";
    if (const json* meta = c.object(*service, "metadata", service_path)) {
      if (const json* name = c.string(*meta, "name", service_path + ".metadata")) {
        // Workers and clients reach the head by this name: it must be a Service name.
        std::string why = k8s::validate_dns1035_label(name->get<std::string>());
        if (!why.empty())
          c.add(service_path + ".metadata.name",
                quoted(*name) + " is not a valid Service name: " + why);
      }
    }
  }
  c.boolean(*head, "enableIngress", path);
  check_volume_claim_templates(c, *head, path);
  validation_detail::check_pod_template(c, *head, path, rules);
}

void check_group_name(checker& c, const json& group, const std::string& path,
                      const std::string& cluster, std::map<std::string, size_t>& seen,
                      size_t index) {
  std::string name_path = path + ".groupName";
  if (missing(group, "groupName")) {
    c.add(name_path, "is required: every worker group needs a name, unique in the cluster");
    return;
  }
  const json* name = c.string(group, "groupName", path);
  if (!name) return;
  std::string value = name->get<std::string>();
  std::string why = k8s::validate_dns1123_label(value);
  if (!why.empty()) c.add(name_path, quoted(*name) + " is not a valid group name: " + why);
  if (value == head_group_name)
    c.add(name_path,
          "\"headgroup\" is reserved for the head (it is the head's ray.io/group "
          "label and node type)");
  auto [first, inserted] = seen.emplace(value, index);
  if (!inserted)
    c.add(name_path, quoted(*name) + " is already the name of " +
                         index_path("spec.workerGroupSpecs", first->second) +
                         "; group names must be unique");
  if (!cluster.empty() && cluster.size() + value.size() > max_cluster_and_group_name_length)
    c.add(name_path,
          "with the cluster name it is " + std::to_string(cluster.size() + value.size()) +
              " characters long; at most " + std::to_string(max_cluster_and_group_name_length) +
              " are allowed so that worker pod names "
              "(<cluster>-<group>-worker-<5 characters>) fit in 63 characters");
}

// An int-or-string of a rolling update: a non-negative integer, or a percentage like "25%".
void check_int_or_percent(checker& c, const json& parent, const char* key,
                          const std::string& parent_path) {
  auto it = parent.find(key);
  if (it == parent.end() || it->is_null()) return;
  const std::string path = field_path(parent_path, key);
  if (it->is_number()) {
    const double v = it->get<double>();
    if (v < 0 || v != std::floor(v))
      c.add(path, "must be a non-negative integer, not " + quoted(*it));
    return;
  }
  const std::string s = it->is_string() ? it->get<std::string>() : std::string();
  const std::string digits = !s.empty() && s.back() == '%' ? s.substr(0, s.size() - 1) : s;
  if (digits.empty() || digits.size() > 9 ||
      digits.find_first_not_of("0123456789") != std::string::npos)
    c.add(path,
          "must be a non-negative integer or a percentage such as \"25%\", not " + quoted(*it));
}

void check_upgrade_strategy(checker& c, const json& parent, const std::string& parent_path) {
  const json* strategy = c.object(parent, "upgradeStrategy", parent_path);
  if (!strategy) return;
  const std::string path = field_path(parent_path, "upgradeStrategy");
  c.one_of(*strategy, "type", path, {"None", "Recreate", "RollingUpdate"});
  if (const json* rolling = c.object(*strategy, "rollingUpdate", path)) {
    const std::string rpath = field_path(path, "rollingUpdate");
    check_int_or_percent(c, *rolling, "maxUnavailable", rpath);
    check_int_or_percent(c, *rolling, "maxSurge", rpath);
    auto zero = [&](const char* key) {
      auto it = rolling->find(key);
      return it != rolling->end() && ((it->is_number() && it->get<double>() == 0) ||
                                      (it->is_string() && (*it == "0" || *it == "0%")));
    };
    if (zero("maxUnavailable") && zero("maxSurge"))
      c.add(rpath, "maxUnavailable and maxSurge must not both be 0: nothing could be replaced");
  }
}

void check_worker_group(checker& c, const json& group, const std::string& path,
                        validation_detail::template_rules rules) {
  // replicas above maxReplicas is allowed: it is clamped, as KubeRay does, because users and
  // older autoscalers do write such values.
  c.bounded_integer(group, "replicas", path, 0);
  auto min = c.bounded_integer(group, "minReplicas", path, 0);
  auto max = c.bounded_integer(group, "maxReplicas", path, 0);
  c.bounded_integer(group, "numOfHosts", path, 1);
  if (min && max && *min > *max)
    c.add(path + ".minReplicas",
          std::to_string(*min) + " is greater than maxReplicas (" + std::to_string(*max) + ")");
  c.bounded_integer(group, "idleTimeoutSeconds", path, 0);
  c.boolean(group, "suspend", path);
  rules.has_num_cpus = check_ray_fields(c, group, path);
  if (const json* strategy = c.object(group, "scaleStrategy", path))
    c.array_of(*strategy, "workersToDelete", path + ".scaleStrategy", json::value_t::string);
  check_upgrade_strategy(c, group, path);
  c.one_of(group, "workloadKind", path, {"Pod", "Deployment", "StatefulSet"});
  const std::string kind = to_string(group_workload_kind(group));
  if (rules.autoscaling && kind != "Pod")
    c.add(path + ".workloadKind",
          "is " + kind +
              ": in-tree autoscaling needs workloadKind Pod, since Ray's autoscaler deletes the "
              "worker pods it names");
  if (kind != "Pod") {
    const json& tmpl = group.value("template", json::object());
    const json policy = tmpl.is_object() && tmpl.value("spec", json::object()).is_object()
                            ? tmpl.value("spec", json::object()).value("restartPolicy", json())
                            : json();
    if (policy.is_string() && policy != "Always")
      c.add(path + ".template.spec.restartPolicy", quoted(policy) +
                                                       " is not allowed with workloadKind " + kind +
                                                       ": its controller accepts only Always");
  }
  if (const json* hpa = c.object(group, "horizontalPodAutoscaler", path)) {
    const std::string hpath = field_path(path, "horizontalPodAutoscaler");
    if (kind == "Pod")
      c.add(hpath,
            "needs workloadKind Deployment or StatefulSet: an HPA scales a workload's replicas, "
            "and Pod groups have no workload");
    if (rules.autoscaling)
      c.add(hpath,
            "cannot be used with enableInTreeAutoscaling: Ray's autoscaler and the HPA would "
            "both set the group's size");
    if (const json* metrics = c.array(*hpa, "metrics", hpath))
      for (size_t i = 0; i < metrics->size(); ++i)
        if (!(*metrics)[i].is_object() || !(*metrics)[i].contains("type"))
          c.add(index_path(field_path(hpath, "metrics"), i),
                "must be an object with a type (Resource, Pods, Object, External or "
                "ContainerResource), as in autoscaling/v2");
    c.object(*hpa, "behavior", hpath);
  }
  if (!missing(group, "volumeClaimTemplates")) {
    if (kind != "StatefulSet")
      c.add(path + ".volumeClaimTemplates",
            "needs workloadKind StatefulSet: only a StatefulSet gives each worker its own claims");
    else
      check_volume_claim_templates(c, group, path);
  }
  validation_detail::check_pod_template(c, group, path, rules);
}

void check_spec(checker& c, const json& spec, const std::string& cluster) {
  c.string(spec, "rayVersion", "spec");
  c.boolean(spec, "enableInTreeAutoscaling", "spec");
  c.boolean(spec, "suspend", "spec");
  if (const json* service = c.object(spec, "headService", "spec"))
    c.one_of(*service, "type", "spec.headService", {"ClusterIP", "NodePort", "LoadBalancer"});
  c.string_map(spec, "headServiceAnnotations", "spec");
  check_autoscaler_options(c, spec);
  check_upgrade_strategy(c, spec, "spec");

  validation_detail::template_rules rules;
  rules.autoscaling = is_true(spec, "enableInTreeAutoscaling");
  auto options = spec.find("autoscalerOptions");
  rules.autoscaler_v2 =
      options != spec.end() && options->is_object() && options->value("version", json()) == "v2";
  check_head_group(c, spec, rules);

  const json* groups = c.array(spec, "workerGroupSpecs", "spec");
  if (!groups) return;
  std::map<std::string, size_t> seen;
  for (size_t i = 0; i < groups->size(); ++i) {
    const json& group = (*groups)[i];
    std::string path = index_path("spec.workerGroupSpecs", i);
    if (!group.is_object()) {
      c.add(path, "must be an object (a worker group), not " + quoted(group));
      continue;
    }
    check_group_name(c, group, path, cluster, seen, i);
    check_worker_group(c, group, path, rules);
  }
}

}  // namespace

std::vector<spec_problem> validate(const json& raycluster) {
  std::vector<spec_problem> problems;
  checker c(problems);
  if (!raycluster.is_object()) {
    c.add("RayCluster", "must be a JSON object, not " + quoted(raycluster));
    return problems;
  }
  std::string cluster = cluster_name_of(c, raycluster);
  // A missing spec is a valid (if minimal) cluster: every field of it has a default.
  if (missing(raycluster, "spec")) return problems;
  if (const json* spec = c.object(raycluster, "spec", "")) {
    check_spec(c, *spec, cluster);
    validation_detail::check_gcs_fault_tolerance(c, raycluster);
    validation_detail::check_cluster_options(c, raycluster);
  }
  return problems;
}

std::string summarize(const std::vector<spec_problem>& problems) {
  if (problems.empty()) return "";
  std::string text =
      std::to_string(problems.size()) + (problems.size() == 1 ? " problem: " : " problems: ");
  for (size_t i = 0; i < problems.size(); ++i) {
    if (i > 0) text += "; ";
    text += problems[i].to_string();
  }
  return text;
}

std::vector<std::string> unacted_fields(const json& rc) {
  std::vector<std::string> out;
  auto spec = rc.find("spec");
  if (spec == rc.end() || !spec->is_object()) return out;
  // Ingress options describe an Ingress that only enableIngress makes.
  if (auto head = spec->find("headGroupSpec"); head != spec->end() && head->is_object())
    if (head->contains("ingressOptions") && !is_true(*head, "enableIngress"))
      out.push_back("spec.headGroupSpec.ingressOptions (enableIngress is not true)");
  return out;
}

}  // namespace ray
