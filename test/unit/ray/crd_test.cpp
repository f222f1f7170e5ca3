// The published CRD: what the API server keeps, defaults and explains, and that it accepts
// every field of KubeRay's RayCluster (test/unit/ray/kuberay_fields.txt).

#include <catch2/catch.hpp>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "ray/defaults.hpp"
#include "test/unit/ray/manifests.hpp"

using nlohmann::json;

namespace {

const json& schema_of(const json& crd, size_t version) {
  return crd["spec"]["versions"][version]["schema"]["openAPIV3Schema"];
}

}  // namespace

TEST_CASE("crd: v1 and v1alpha1 are both served, with the same schema and printer columns") {
  json crd = load_manifest("crds/ray.io_rayclusters.yaml");
  CHECK(crd["metadata"]["name"] == "rayclusters.ray.io");
  CHECK(crd["spec"]["group"] == "ray.io");
  CHECK(crd["spec"]["scope"] == "Namespaced");
  CHECK(crd["spec"]["names"]["kind"] == "RayCluster");
  CHECK(crd["spec"]["names"]["categories"] == json({"all"}));
  CHECK(crd["spec"]["conversion"]["strategy"] == "None");

  const json& versions = crd["spec"]["versions"];
  REQUIRE(versions.size() == 2);
  CHECK(versions[0]["name"] == "v1");
  CHECK(versions[0]["storage"] == true);
  CHECK(versions[1]["name"] == "v1alpha1");
  CHECK(versions[1]["served"] == true);
  CHECK(versions[1]["storage"] == false);
  CHECK(versions[1]["deprecated"] == true);
  CHECK(schema_of(crd, 0).is_object());
  CHECK(schema_of(crd, 0) == schema_of(crd, 1));
  CHECK(versions[0]["subresources"] == json({{"status", json::object()}}));
  CHECK(versions[1]["subresources"] == versions[0]["subresources"]);
  CHECK(versions[1]["additionalPrinterColumns"] == versions[0]["additionalPrinterColumns"]);

  std::vector<std::string> columns;
  for (const json& column : versions[0]["additionalPrinterColumns"])
    columns.push_back(column["name"].get<std::string>() +
                      (column.contains("priority") ? " (wide)" : ""));
  CHECK(columns == std::vector<std::string>{"desired workers", "available workers", "cpus",
                                            "memory", "gpus", "tpus (wide)", "status", "age",
                                            "head pod IP (wide)", "head service IP (wide)"});
}

TEST_CASE("crd: the API server's defaults agree with the operator's") {
  json crd = load_manifest("crds/ray.io_rayclusters.yaml");
  const json& spec = schema_of(crd, 0)["properties"]["spec"];
  CHECK_FALSE(spec.contains("required"));  // the seed has no headGroupSpec

  const json& group = spec["properties"]["workerGroupSpecs"]["items"];
  CHECK(group["required"] == json({"groupName"}));
  CHECK(group["properties"]["replicas"]["default"] == 0);
  CHECK(group["properties"]["minReplicas"]["default"] == 0);
  CHECK(group["properties"]["maxReplicas"]["default"] == ray::default_max_replicas);
  CHECK(group["properties"]["numOfHosts"]["default"] == 1);
  CHECK(group["properties"]["rayStartParams"]["default"] == json::object());
  CHECK(group["properties"]["rayStartParams"]["additionalProperties"]["type"] == "string");
  CHECK(group["properties"]["scaleStrategy"]["properties"]["workersToDelete"]["items"]["type"] ==
        "string");
  const json& head = spec["properties"]["headGroupSpec"]["properties"];
  CHECK(head["rayStartParams"]["default"] == json::object());
  CHECK(head["template"]["x-kubernetes-preserve-unknown-fields"] == true);
}

TEST_CASE("crd: the seed's own fields are declared, so the API server keeps them") {
  json crd = load_manifest("crds/ray.io_rayclusters.yaml");
  const json& spec = schema_of(crd, 0)["properties"]["spec"]["properties"];
  CHECK(spec["headService"]["properties"]["type"]["type"] == "string");
  const json& options = spec["autoscalerOptions"]["properties"];
  CHECK(options["idleTimeoutMinutes"]["type"] == "number");
  CHECK(options["upscalingSpeed"]["type"] == "number");
  CHECK(options["idleTimeoutSeconds"]["type"] == "integer");
  CHECK(options["upscalingMode"]["enum"] == json({"Default", "Aggressive", "Conservative"}));
  CHECK(spec["headGroupSpec"]["properties"]["volumeClaimTemplates"]["type"] == "array");
  // Every field the seed sets is declared in the schema (else it would be pruned).
  json seed = load_manifest("examples/raycluster-seed.yaml");
  for (const auto& [key, value] : seed["spec"].items()) {
    INFO(key);
    CHECK(spec.contains(key));
  }
  for (const auto& [key, value] : seed["spec"]["workerGroupSpecs"][0].items()) {
    INFO(key);
    CHECK(spec["workerGroupSpecs"]["items"]["properties"].contains(key));
  }
}

namespace {

// "spec.workerGroupSpecs[].groupName" for every declared property without a description.
void undescribed(const json& schema, const std::string& path, std::vector<std::string>& out) {
  if (!schema.is_object()) return;
  if (auto items = schema.find("items"); items != schema.end())
    undescribed(*items, path + "[]", out);
  auto properties = schema.find("properties");
  if (properties == schema.end() || !properties->is_object()) return;
  for (auto it = properties->begin(); it != properties->end(); ++it) {
    const std::string field = path + "." + it.key();
    auto description = it->is_object() ? it->find("description") : it->end();
    if (!it->is_object() || description == it->end() || !description->is_string() ||
        description->get<std::string>().empty())
      out.push_back(field);
    undescribed(*it, field, out);
  }
}

}  // namespace

TEST_CASE("crd: kubectl explain describes every field of the spec") {
  json crd = load_manifest("crds/ray.io_rayclusters.yaml");
  std::vector<std::string> missing;
  undescribed(crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"], "spec",
              missing);
  std::string listed;
  for (const auto& field : missing) listed += field + " ";
  INFO(listed);
  CHECK(missing.empty());
}

namespace {

// Every declared field path: "spec.workerGroupSpecs[].groupName". A field whose schema keeps
// unknown fields (a Kubernetes type such as a PodTemplateSpec) or is a map ends its path.
void field_paths(const json& schema, const std::string& path, std::set<std::string>& out) {
  if (!schema.is_object()) return;
  if (auto items = schema.find("items"); items != schema.end())
    field_paths(*items, path + "[]", out);
  auto properties = schema.find("properties");
  if (properties == schema.end() || !properties->is_object()) return;
  for (auto it = properties->begin(); it != properties->end(); ++it) {
    const std::string field = path + "." + it.key();
    out.insert(field);
    field_paths(*it, field, out);
  }
}

// KubeRay's field paths, one per line; "#" starts a comment. Lines of the form "both spec.x"
// are in both versions' lists, plain ones in v1's only.
std::vector<std::string> kuberay_fields(bool v1alpha1) {
  std::ifstream in(std::string(RAY_OPERATOR_SOURCE_DIR) + "/test/unit/ray/kuberay_fields.txt");
  REQUIRE(in.good());
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    const bool both = line.rfind("both ", 0) == 0;
    if (both) line = line.substr(5);
    if (!v1alpha1 || both) out.push_back(line);
  }
  return out;
}

}  // namespace

TEST_CASE("crd: every field of KubeRay's v1 and v1alpha1 RayCluster spec is declared") {
  json crd = load_manifest("crds/ray.io_rayclusters.yaml");
  for (size_t version : {0, 1}) {
    std::set<std::string> ours;
    field_paths(schema_of(crd, version)["properties"]["spec"], "spec", ours);
    const auto theirs = kuberay_fields(version == 1);
    CHECK(theirs.size() > (version == 1 ? 25u : 80u));  // the list was read, not empty
    std::string missing;
    for (const auto& field : theirs)
      if (!ours.count(field)) missing += field + " ";
    INFO(crd["spec"]["versions"][version]["name"] << " lacks: " << missing);
    CHECK(missing.empty());
  }
}

namespace {

// The field paths a manifest sets, cut where the schema's own paths end.
void set_paths(const json& value, const std::string& path, const std::set<std::string>& declared,
               std::set<std::string>& out) {
  if (value.is_array()) {
    for (const auto& item : value) set_paths(item, path + "[]", declared, out);
    return;
  }
  if (!value.is_object()) return;
  for (const auto& [key, child] : value.items()) {
    const std::string field = path + "." + key;
    if (!declared.count(field)) continue;
    out.insert(field);
    set_paths(child, field, declared, out);
  }
}

}  // namespace

TEST_CASE("crd: the every-field fixture sets every one of KubeRay's fields") {
  json crd = load_manifest("crds/ray.io_rayclusters.yaml");
  std::set<std::string> declared;
  field_paths(schema_of(crd, 0)["properties"]["spec"], "spec", declared);
  std::set<std::string> used;
  set_paths(load_manifest("test/e2e/kuberay-every-field.yaml")["spec"], "spec", declared, used);
  std::string unused;
  for (const auto& field : kuberay_fields(false))
    if (!used.count(field)) unused += field + " ";
  INFO("not set: " << unused);
  CHECK(unused.empty());
}
