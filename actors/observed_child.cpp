#include "actors/observed_child.hpp"

#include "k8s/object_meta.hpp"
#include "ray/constants.hpp"

namespace actors {

observed_child reduce_child(const nlohmann::json& object) {
  observed_child c;
  c.kind = object.value("kind", "");
  c.name = k8s::name(object);
  c.uid = k8s::uid(object);
  c.resource_version = k8s::resource_version(object);
  c.spec_hash = k8s::annotation(object, ray::annotation_spec_hash).value_or("");
  if (auto owner = k8s::controller_of(object)) c.owner_uid = owner->uid;
  c.deleting = k8s::is_being_deleted(object);
  if (c.kind == "Service") c.service = ray::reduce_service(object);
  if (c.kind == "StatefulSet" || c.kind == "Deployment") {
    c.replicas = object.value("/spec/replicas"_json_pointer, int64_t{0});
    c.ready_replicas = object.value("/status/readyReplicas"_json_pointer, int64_t{0});
  }
  return c;
}

std::string child_key(const std::string& kind, const std::string& name) {
  return kind + "/" + name;
}

cluster_key cluster_of(const nlohmann::json& object) {
  return {k8s::namespace_of(object), k8s::label(object, ray::label_cluster).value_or("")};
}

}  // namespace actors
