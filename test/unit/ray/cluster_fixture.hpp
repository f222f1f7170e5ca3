#pragma once
// Defaulted RayClusters for the builder tests, written out by hand as with_defaults() must
// produce them (ray/defaults.hpp), so these tests pin the builders and not the defaulting.

#include <set>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

namespace ray_test {

using nlohmann::json;

// shared/seed/raycluster-seed.yaml after defaulting: head 1 CPU / 2Gi, one worker group
// `small-worker` with 1 CPU / 1Gi, autoscaling on, rayVersion 2.6.0.
inline json seed_cluster() {
  return json::parse(R"({
    "apiVersion": "ray.io/v1alpha1", "kind": "RayCluster",
    "metadata": {"name": "basic-ray-cluster", "namespace": "default", "uid": "uid-1234"},
    "spec": {
      "rayVersion": "2.6.0", "enableInTreeAutoscaling": true, "suspend": false,
      "autoscalerOptions": {},
      "headService": {"type": "ClusterIP"},
      "headGroupSpec": {
        "rayStartParams": {}, "serviceType": "ClusterIP",
        "template": {"spec": {"containers": [{
          "name": "ray-head", "image": "rayproject/ray:2.6.0",
          "resources": {"limits": {"cpu": "1", "memory": "2Gi"},
                        "requests": {"cpu": "1", "memory": "2Gi"}}}]}}},
      "workerGroupSpecs": [{
        "groupName": "small-worker", "replicas": 2, "minReplicas": 1, "maxReplicas": 3,
        "numOfHosts": 1,
        "rayStartParams": {"dashboard-host": "0.0.0.0", "num-gpus": "0"},
        "template": {"spec": {"containers": [{
          "name": "ray-worker", "image": "rayproject/ray:2.6.0",
          "resources": {"limits": {"cpu": "1", "memory": "1Gi"},
                        "requests": {"cpu": "1", "memory": "1Gi"}}}]}}}]
    }})");
}

// The same cluster without in-tree autoscaling.
inline json plain_cluster() {
  json c = seed_cluster();
  c["spec"]["enableInTreeAutoscaling"] = false;
  return c;
}

inline json& head_container(json& cluster) {
  return cluster["spec"]["headGroupSpec"]["template"]["spec"]["containers"][0];
}
inline json& worker_group(json& cluster, size_t i = 0) {
  return cluster["spec"]["workerGroupSpecs"][i];
}
inline json& worker_container(json& cluster, size_t i = 0) {
  return worker_group(cluster, i)["template"]["spec"]["containers"][0];
}

// The entry of a name-keyed list (env, containers, volumes, ports), or null.
inline json named(const json& list, const std::string& name) {
  if (!list.is_array()) return nullptr;
  for (const auto& item : list) {
    if (item.value("name", "") == name) return item;
  }
  return nullptr;
}

inline std::string env_value(const json& container, const std::string& name) {
  json var = named(container.value("env", json::array()), name);
  return var.is_object() ? var.value("value", "") : "";
}

inline std::string env_field(const json& container, const std::string& name) {
  json var = named(container.value("env", json::array()), name);
  if (!var.is_object()) return "";
  return var["valueFrom"]["fieldRef"]["fieldPath"].get<std::string>();
}

inline size_t env_count(const json& container, const std::string& name) {
  size_t n = 0;
  for (const auto& var : container.value("env", json::array())) n += var["name"] == name;
  return n;
}

// Whitespace-separated tokens, for comparing commands whose flag order or spacing may differ.
inline std::multiset<std::string> tokens(const std::string& s) {
  std::istringstream in(s);
  std::multiset<std::string> out;
  for (std::string t; in >> t;) out.insert(t);
  return out;
}

}  // namespace ray_test
