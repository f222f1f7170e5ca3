#pragma once
// Reading and writing the `metadata` of any Kubernetes object held as JSON. Objects come from
// the API server and from users, so accessors never throw: a missing or wrongly-typed field
// reads as empty (or 0, or false).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace k8s {

std::string name(const nlohmann::json& obj);
std::string namespace_of(const nlohmann::json& obj);
std::string uid(const nlohmann::json& obj);
std::string resource_version(const nlohmann::json& obj);
std::string creation_timestamp(const nlohmann::json& obj);  // RFC 3339 text, as sent
std::string deletion_timestamp(const nlohmann::json& obj);  // "" unless being deleted
std::vector<std::string> finalizers(const nlohmann::json& obj);
int64_t generation(const nlohmann::json& obj);

// Non-string entries are skipped.
std::map<std::string, std::string> labels(const nlohmann::json& obj);
std::map<std::string, std::string> annotations(const nlohmann::json& obj);
std::optional<std::string> label(const nlohmann::json& obj, const std::string& key);
std::optional<std::string> annotation(const nlohmann::json& obj, const std::string& key);

// deletionTimestamp is set: finalizers are running and the object must not be recreated.
bool is_being_deleted(const nlohmann::json& obj);

struct owner_reference {
  std::string api_version, kind, name, uid;
  bool controller = false;
  bool block_owner_deletion = false;

  // Both flags are always written, so a round trip through the API server compares equal.
  nlohmann::json to_json() const;
  // Empty when apiVersion, kind, name or uid is missing or not a string.
  static std::optional<owner_reference> from_json(const nlohmann::json& ref);
  bool operator==(const owner_reference& o) const;
};

// Malformed entries are skipped.
std::vector<owner_reference> owner_references(const nlohmann::json& obj);
// The ownerReference with controller=true, if any.
std::optional<owner_reference> controller_of(const nlohmann::json& obj);
bool is_controlled_by(const nlohmann::json& obj, const std::string& owner_uid);

// A reference to `owner` (apiVersion, kind, metadata.name and metadata.uid) as its controller,
// blocking the owner's foreground deletion until this object is gone. An owner not yet created
// has no uid, and set_controller_reference() refuses the result.
owner_reference make_controller_reference(const nlohmann::json& owner);

// Makes `ref` (with controller=true) the controller of `obj`, replacing any ownerReference
// with the same uid and keeping the others. Returns false, leaving `obj` untouched, when
// another owner already controls it, when `ref` lacks a field, or when obj's metadata or
// ownerReferences have the wrong type.
bool set_controller_reference(nlohmann::json& obj, const owner_reference& ref);

}  // namespace k8s
