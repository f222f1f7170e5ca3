// What a RayCluster actor does about pods made from an older spec (ray/updates.hpp): it plans
// the Recreate round and the head's turn of a rolling update, deletes the head pod when the
// strategy replaces it (the head StatefulSet, OnDelete, then makes the new one), and hands the
// plan to its worker groups, which replace their own pods.

#include <spdlog/spdlog.h>

#include "actors/observed_child.hpp"
#include "actors/raycluster_state.hpp"
#include "ray/children.hpp"
#include "ray/constants.hpp"
#include "ray/workloads.hpp"

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

namespace {

// Whether the StatefulSet `name` carries the template it should: deleting its pod before then
// would make the old pod again.
bool statefulset_current(const cluster_state& st, const std::string& name) {
  const std::string key = child_key("StatefulSet", name);
  auto child = st.children.find(key);
  if (child == st.children.end() || st.ledger.in_flight(key) || st.ledger.settling(key))
    return false;
  for (const auto& c : st.derived.children)
    if (c.kind == "StatefulSet" && c.name == name) return child->second->spec_hash == c.hash;
  return false;
}

// Deletes a pod a StatefulSet makes again, as an update replaces it. Each pod once.
void replace_pod(cluster_self self, const ray::observed_pod& pod, const std::string& why) {
  auto& st = self->state;
  if (st.update_deleted_uids.count(pod.uid)) return;
  const std::string key = child_key("Pod", pod.name);
  const auto now = st.port->now();
  if (!st.ledger.may_write(key, now)) return;  // in flight, or backing off
  write_request w;
  w.verb = "delete";
  w.type = k8s::resources::pods;
  w.ns = st.key.ns;
  w.name = pod.name;
  w.delete_opts.precondition_uid = pod.uid;  // never a newer pod that reuses the name
  w.reason = why;
  const uint64_t ticket = st.next_ticket++;
  st.ledger.begin(key, ticket, now, "delete");
  st.update_deleted_uids.insert(pod.uid);
  send_write(self, std::move(w), ticket);
}

}  // namespace

outcome ensure_head_update(cluster_self self, const update_plan& plan) {
  auto& st = self->state;
  const auto type = st.derived.head_upgrade;
  const std::string why =
      std::string("upgradeStrategy ") + ray::to_string(type) + ": " + head_delete_reason;
  for (const auto& [name, p] : st.pods) {
    if (p->deleting) continue;
    if (p->is_head) {
      const bool replace = type == ray::upgrade_type::recreate
                               ? !plan.recreate_to.empty() && p->cluster_hash != plan.recreate_to
                               : type == ray::upgrade_type::rolling_update && outdated(st, *p);
      if (replace && statefulset_current(st, ray::head_statefulset_name(st.key.name)))
        replace_pod(self, *p, why);
      continue;
    }
    // A Recreate round also takes the pods of StatefulSet groups (OnDelete): their controller
    // makes them again from the new template. Deployments replace their own.
    auto kind = st.derived.group_kinds.find(p->group);
    if (plan.recreate_to.empty() || p->cluster_hash == plan.recreate_to ||
        kind == st.derived.group_kinds.end() || kind->second != ray::workload_kind::statefulset)
      continue;
    if (statefulset_current(st, ray::worker_workload_name(st.key.name, p->group)))
      replace_pod(self, *p, "upgradeStrategy Recreate: the pod was made from an older spec");
  }
  return outcome::done();  // the pods' and StatefulSets' events bring the next reconcile
}

void add_test_env(nlohmann::json& object, const raycluster_options& options, bool rehash) {
  const auto eq = options.test_pod_env.find('=');
  if (eq == std::string::npos || object.is_null()) return;
  const bool pod = object.value("kind", "") == "Pod";
  nlohmann::json& spec = pod ? object["spec"] : object["spec"]["template"]["spec"];
  for (auto& c : spec["containers"])
    c["env"].push_back({{"name", options.test_pod_env.substr(0, eq)},
                        {"value", options.test_pod_env.substr(eq + 1)}});
  // A hash of the derived object covers what it now is.
  if (rehash)
    object["metadata"]["annotations"][ray::annotation_spec_hash] = ray::desired_spec_hash(object);
}

}  // namespace actors
