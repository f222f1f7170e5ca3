// What a RayCluster actor does about pods made from an older spec (ray/updates.hpp): it plans
// the Recreate round and the head's turn of a rolling update, deletes the head pod when the
// strategy replaces it (the head StatefulSet, OnDelete, then makes the new one), and hands the
// plan to its worker groups, which replace their own pods.

#include <spdlog/spdlog.h>

#include "actors/observed_child.hpp"
#include "actors/raycluster_state.hpp"
#include "ray/children.hpp"
#include "ray/constants.hpp"

namespace actors {

namespace {

constexpr const char* head_delete_reason = "the head pod was made from an older spec";

// The head pod that serves (or will): not on its way out.
const ray::observed_pod* live_head(const cluster_state& st) {
  for (const auto& [name, p] : st.pods)
    if (p->is_head && !p->deleting) return p.get();
  return nullptr;
}

bool outdated(const cluster_state& st, const ray::observed_pod& p) {
  const auto& h = st.derived.hashes;
  if (p.is_head) return p.group_hash != h.head;
  auto it = h.groups.find(p.group);
  return it != h.groups.end() && p.group_hash != it->second;
}

}  // namespace

update_plan plan_updates(cluster_self self) {
  auto& st = self->state;
  update_plan plan;
  const auto* head = live_head(st);
  plan.head_current = head && head->ready && !outdated(st, *head);
  if (st.derived.head_upgrade != ray::upgrade_type::recreate) {
    st.recreate_round.clear();
    return plan;
  }
  const std::string& target = st.derived.hashes.cluster;
  bool any_outdated = false;
  for (const auto& [name, p] : st.pods)
    if (!p->deleting && outdated(st, *p)) any_outdated = true;
  // A round, once begun, lasts as long as the spec it replaces towards: groups act on it in
  // their own time, and some pods may already be gone when another group looks.
  if (any_outdated)
    st.recreate_round = target;
  else if (st.recreate_round != target)
    st.recreate_round.clear();
  plan.recreate_to = st.recreate_round;
  return plan;
}

outcome ensure_head_update(cluster_self self, const update_plan& plan) {
  auto& st = self->state;
  const auto* head = live_head(st);
  if (!head || head->uid == st.head_deleted_uid) return outcome::done();
  bool replace = false;
  switch (st.derived.head_upgrade) {
    case ray::upgrade_type::recreate:
      replace = !plan.recreate_to.empty() && head->cluster_hash != plan.recreate_to;
      break;
    case ray::upgrade_type::rolling_update:
      replace = outdated(st, *head);
      break;
    case ray::upgrade_type::none:
      break;
  }
  if (!replace) return outcome::done();
  // Only once the StatefulSet carries the new template, or it would make the old pod again.
  const std::string sts = child_key("StatefulSet", ray::head_statefulset_name(st.key.name));
  auto child = st.children.find(sts);
  std::string desired_hash;
  for (const auto& c : st.derived.children)
    if (c.kind == "StatefulSet") desired_hash = c.hash;
  if (child == st.children.end() || child->second->spec_hash != desired_hash ||
      st.ledger.in_flight(sts) || st.ledger.settling(sts))
    return outcome::done();  // the StatefulSet's event brings the next reconcile
  const std::string key = child_key("Pod", head->name);
  const auto now = st.port->now();
  if (!st.ledger.may_write(key, now)) return outcome::done();  // in flight, or backing off
  write_request w;
  w.verb = "delete";
  w.type = k8s::resources::pods;
  w.ns = st.key.ns;
  w.name = head->name;
  w.delete_opts.precondition_uid = head->uid;  // never a newer head that reuses the name
  w.reason = std::string("upgradeStrategy ") + ray::to_string(st.derived.head_upgrade) + ": " +
             head_delete_reason;
  const uint64_t ticket = st.next_ticket++;
  st.ledger.begin(key, ticket, now, "delete");
  st.head_deleted_uid = head->uid;
  st.port->write(std::move(w), handle(self), ticket);
  return outcome::done();
}

void add_test_env(nlohmann::json& object, const raycluster_options& options) {
  const auto eq = options.test_pod_env.find('=');
  if (eq == std::string::npos || object.is_null()) return;
  const bool sts = object.value("kind", "") == "StatefulSet";
  nlohmann::json& spec = sts ? object["spec"]["template"]["spec"] : object["spec"];
  for (auto& c : spec["containers"])
    c["env"].push_back({{"name", options.test_pod_env.substr(0, eq)},
                        {"value", options.test_pod_env.substr(eq + 1)}});
  // The object's own hash covers what it now is.
  object["metadata"]["annotations"][ray::annotation_spec_hash] = ray::desired_spec_hash(object);
}

}  // namespace actors
