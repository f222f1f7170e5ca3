#include "k8s/object_meta.hpp"

namespace k8s {

namespace {

using nlohmann::json;

const json* member(const json& obj, const char* key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  return it == obj.end() ? nullptr : &*it;
}

const json* metadata_field(const json& obj, const char* key) {
  const json* meta = member(obj, "metadata");
  return meta ? member(*meta, key) : nullptr;
}

std::string string_or_empty(const json* v) {
  return v && v->is_string() ? v->get<std::string>() : std::string();
}

std::string string_member(const json& obj, const char* key) {
  return string_or_empty(member(obj, key));
}

bool bool_member(const json& obj, const char* key) {
  const json* v = member(obj, key);
  return v && v->is_boolean() && v->get<bool>();
}

std::map<std::string, std::string> string_map(const json* v) {
  std::map<std::string, std::string> out;
  if (!v || !v->is_object()) return out;
  for (const auto& [key, value] : v->items())
    if (value.is_string()) out.emplace(key, value.get<std::string>());
  return out;
}

std::optional<std::string> map_entry(const json* map, const std::string& key) {
  if (!map || !map->is_object()) return std::nullopt;
  auto it = map->find(key);
  if (it == map->end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

}  // namespace

std::string name(const json& obj) {
  return string_or_empty(metadata_field(obj, "name"));
}
std::string namespace_of(const json& obj) {
  return string_or_empty(metadata_field(obj, "namespace"));
}
std::string uid(const json& obj) {
  return string_or_empty(metadata_field(obj, "uid"));
}
std::string resource_version(const json& obj) {
  return string_or_empty(metadata_field(obj, "resourceVersion"));
}
std::string creation_timestamp(const json& obj) {
  return string_or_empty(metadata_field(obj, "creationTimestamp"));
}
std::string deletion_timestamp(const json& obj) {
  return string_or_empty(metadata_field(obj, "deletionTimestamp"));
}
std::vector<std::string> finalizers(const json& obj) {
  std::vector<std::string> out;
  const json* list = metadata_field(obj, "finalizers");
  if (list && list->is_array())
    for (const auto& f : *list)
      if (f.is_string()) out.push_back(f.get<std::string>());
  return out;
}

int64_t generation(const json& obj) {
  const json* v = metadata_field(obj, "generation");
  if (!v) return 0;
  if (v->is_number_integer() && !v->is_number_unsigned()) return v->get<int64_t>();
  if (v->is_number_unsigned() && v->get<uint64_t>() <= static_cast<uint64_t>(INT64_MAX))
    return static_cast<int64_t>(v->get<uint64_t>());
  return 0;
}

std::map<std::string, std::string> labels(const json& obj) {
  return string_map(metadata_field(obj, "labels"));
}
std::map<std::string, std::string> annotations(const json& obj) {
  return string_map(metadata_field(obj, "annotations"));
}
std::optional<std::string> label(const json& obj, const std::string& key) {
  return map_entry(metadata_field(obj, "labels"), key);
}
std::optional<std::string> annotation(const json& obj, const std::string& key) {
  return map_entry(metadata_field(obj, "annotations"), key);
}

bool is_being_deleted(const json& obj) {
  const json* v = metadata_field(obj, "deletionTimestamp");
  return v && !v->is_null();
}

json owner_reference::to_json() const {
  return json{{"apiVersion", api_version},
              {"kind", kind},
              {"name", name},
              {"uid", uid},
              {"controller", controller},
              {"blockOwnerDeletion", block_owner_deletion}};
}

std::optional<owner_reference> owner_reference::from_json(const json& ref) {
  owner_reference out;
  out.api_version = string_member(ref, "apiVersion");
  out.kind = string_member(ref, "kind");
  out.name = string_member(ref, "name");
  out.uid = string_member(ref, "uid");
  if (out.api_version.empty() || out.kind.empty() || out.name.empty() || out.uid.empty())
    return std::nullopt;
  out.controller = bool_member(ref, "controller");
  out.block_owner_deletion = bool_member(ref, "blockOwnerDeletion");
  return out;
}

bool owner_reference::operator==(const owner_reference& o) const {
  return api_version == o.api_version && kind == o.kind && name == o.name && uid == o.uid &&
         controller == o.controller && block_owner_deletion == o.block_owner_deletion;
}

std::vector<owner_reference> owner_references(const json& obj) {
  std::vector<owner_reference> out;
  const json* refs = metadata_field(obj, "ownerReferences");
  if (!refs || !refs->is_array()) return out;
  for (const auto& r : *refs)
    if (auto ref = owner_reference::from_json(r)) out.push_back(std::move(*ref));
  return out;
}

std::optional<owner_reference> controller_of(const json& obj) {
  for (auto& ref : owner_references(obj))
    if (ref.controller) return ref;
  return std::nullopt;
}

bool is_controlled_by(const json& obj, const std::string& owner_uid) {
  auto ref = controller_of(obj);
  return ref && !owner_uid.empty() && ref->uid == owner_uid;
}

owner_reference make_controller_reference(const json& owner) {
  owner_reference ref;
  ref.api_version = string_member(owner, "apiVersion");
  ref.kind = string_member(owner, "kind");
  ref.name = name(owner);
  ref.uid = uid(owner);
  ref.controller = true;
  ref.block_owner_deletion = true;
  return ref;
}

bool set_controller_reference(json& obj, const owner_reference& ref) {
  if (ref.api_version.empty() || ref.kind.empty() || ref.name.empty() || ref.uid.empty())
    return false;
  if (!obj.is_object()) return false;
  if (auto existing = controller_of(obj); existing && existing->uid != ref.uid) return false;
  const json* meta = member(obj, "metadata");
  if (meta && !meta->is_object()) return false;
  const json* refs = metadata_field(obj, "ownerReferences");
  if (refs && !refs->is_null() && !refs->is_array()) return false;

  json entry = ref.to_json();
  entry["controller"] = true;
  json& list = obj["metadata"]["ownerReferences"];
  if (list.is_null()) list = json::array();
  for (auto& r : list) {
    if (r.is_object() && string_member(r, "uid") == ref.uid) {
      r = std::move(entry);
      return true;
    }
  }
  list.push_back(std::move(entry));
  return true;
}

}  // namespace k8s
