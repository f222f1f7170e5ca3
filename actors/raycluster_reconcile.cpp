// The reconcile of a RayCluster actor: validate, write missing defaults once, converge the owned
// children, hand each worker group its target, and write the status if it changed. Each step
// reports what it needs next; together they are the reconcile's outcome.

#include <spdlog/spdlog.h>

#include <ctime>

#include "actors/clock.hpp"
#include "actors/observed_child.hpp"
#include "actors/operator_metrics.hpp"
#include "actors/raycluster_state.hpp"
#include "k8s/object_meta.hpp"
#include "ray/children.hpp"
#include "ray/constants.hpp"
#include "ray/defaults.hpp"
#include "ray/workloads.hpp"

namespace actors {

namespace {

nlohmann::json metadata_that_matters(const nlohmann::json& raycluster) {
  const auto meta = raycluster.value("metadata", nlohmann::json::object());
  return {{"labels", meta.value("labels", nlohmann::json())},
          {"annotations", meta.value("annotations", nlohmann::json())},
          {"uid", meta.value("uid", nlohmann::json())}};
}

}  // namespace

const nlohmann::json& defaulted(cluster_state& st) {
  if (!st.defaulted || st.defaulted_from != st.stored) {
    st.defaulted = ray::with_defaults(*st.stored);
    st.defaulted_from = st.stored;
  }
  return *st.defaulted;
}

int64_t group_desired_pods(const nlohmann::json& defaulted, const nlohmann::json& g) {
  const auto& spec = defaulted["spec"];
  const int64_t min = g.value("minReplicas", int64_t{0});
  const int64_t max = g.value("maxReplicas", ray::default_max_replicas);
  const int64_t replicas = std::clamp(g.value("replicas", min), min, max);
  return spec.value("suspend", false) || g.value("suspend", false)
             ? 0
             : replicas * g.value("numOfHosts", int64_t{1});
}

namespace {

// Rebuilds what follows from the spec, only when the spec (or the metadata that shapes the
// children) changed since the last build.
void refresh_derived(cluster_self self) {
  auto& st = self->state;
  auto& d = st.derived;
  if (d.source == st.stored) return;  // the same version as last time: nothing to look at
  const nlohmann::json& stored = *st.stored;
  const int64_t generation = k8s::generation(stored);
  nlohmann::json meta = metadata_that_matters(stored);
  if (d.generation == generation && d.metadata_seen == meta) {
    d.source = st.stored;  // a status or another object's change: the spec is as it was
    return;
  }
  d = derived_view{};
  d.source = st.stored;
  d.generation = generation;
  d.metadata_seen = std::move(meta);
  for (const auto& field : ray::unacted_fields(stored))
    d.unacted += (d.unacted.empty() ? "" : ", ") + field;
  d.problems = ray::validate(stored);
  if (ray::tls_enabled(stored) && !st.options.cert_manager)
    d.problems.push_back({"spec.tlsOptions.enabled",
                          "needs cert-manager, and this API server does not serve "
                          "cert-manager.io/v1 (the operator looks when it starts: install "
                          "cert-manager, then restart the operator)"});
  if (!d.problems.empty()) return;
  const nlohmann::json& defaulted_spec = defaulted(st);
  d.hashes = ray::user_spec_hashes(stored);
  d.head_upgrade = ray::head_upgrade_type(defaulted_spec);
  d.tls = ray::tls_enabled(defaulted_spec);
  const auto& spec = defaulted_spec["spec"];
  auto add = [&](nlohmann::json desired) {
    if (desired.is_null()) return;
    d.children.push_back({desired.value("kind", ""), k8s::name(desired),
                          k8s::annotation(desired, ray::annotation_spec_hash).value_or("")});
  };
  add(ray::desired_head_service(defaulted_spec));
  d.head_service = d.children.back().name;
  add(ray::desired_workers_service(defaulted_spec));
  if (spec.value("enableInTreeAutoscaling", false)) {
    add(ray::desired_autoscaler_service_account(defaulted_spec));
    add(ray::desired_autoscaler_role(defaulted_spec));
    add(ray::desired_autoscaler_role_binding(defaulted_spec));
  }
  add(ray::desired_gcs_storage_claim(defaulted_spec));
  if (d.tls) {
    for (auto& object : ray::desired_tls_authority(defaulted_spec)) add(std::move(object));
    add(ray::desired_tls_certificate(defaulted_spec, true, {}));
    add(ray::desired_tls_certificate(defaulted_spec, false, {}));
    refresh_tls_ips(st);  // the pods' IPs, and the two Certificates' hashes with them
  }
  add(ray::desired_auth_secret(defaulted_spec));
  add(ray::desired_head_ingress(defaulted_spec));
  for (auto& policy : ray::desired_network_policies(defaulted_spec)) add(std::move(policy));
  nlohmann::json head = ray::desired_head_statefulset(defaulted_spec, d.hashes);
  add_test_env(head, st.options, true);
  add(std::move(head));

  const bool autoscaling = spec.value("enableInTreeAutoscaling", false);
  const auto& groups = spec["workerGroupSpecs"];
  for (size_t i = 0; i < groups.size(); ++i) {
    const auto& g = groups[i];
    const std::string name = g.value("groupName", "");
    const auto kind = ray::group_workload_kind(g);
    d.group_kinds[name] = kind;
    if (kind != ray::workload_kind::pod) {
      // A controller runs this group's pods: it is a child like the others.
      nlohmann::json workload = ray::desired_worker_workload(defaulted_spec, i, d.hashes,
                                                             group_desired_pods(defaulted_spec, g));
      add_test_env(workload, st.options, false);
      d.workload_groups[k8s::name(workload)] = name;
      const int64_t replicas = workload["spec"].value("replicas", int64_t{0});
      add(std::move(workload));
      d.children.back().replicas = replicas;
      d.children.back().hpa_scaled = ray::hpa_scales_group(defaulted_spec, g);
      add(ray::desired_worker_hpa(defaulted_spec, i, st.options.hpa.api_version()));
      continue;
    }
    group_spec gs;
    gs.group = name;
    gs.ns = st.key.ns;
    gs.flow = st.key.str();
    gs.desired = group_desired_pods(defaulted_spec, g);
    for (const auto& n :
         g.value("/scaleStrategy/workersToDelete"_json_pointer, nlohmann::json::array()))
      if (n.is_string()) gs.workers_to_delete.push_back(n.get<std::string>());
    gs.autoscaling = autoscaling;
    nlohmann::json pod = ray::desired_worker_pod(defaulted_spec, i, d.hashes);
    add_test_env(pod, st.options, true);
    gs.pod = std::make_shared<const k8s::object_template>(pod);
    gs.group_hash = d.hashes.groups[gs.group];
    gs.strategy = ray::group_upgrade_strategy(defaulted_spec, g, gs.desired);
    d.groups.push_back(std::move(gs));
  }
}

// What a group was last sent, to send it again only when it changed. The pod template's digest
// stands for the pod.
std::string fingerprint(const group_spec& gs) {
  std::string f = std::to_string(gs.desired) + (gs.autoscaling ? "|a|" : "|m|") +
                  std::to_string(gs.pod ? gs.pod->digest() : 0) + "|" + gs.recreate_to +
                  (gs.head_current ? "|h" : "|-") + ray::to_string(gs.strategy.type) + ":" +
                  std::to_string(gs.strategy.max_unavailable) + ":" +
                  std::to_string(gs.strategy.max_surge);
  for (const auto& n : gs.workers_to_delete) f += "|" + n;
  return f;
}

// Groups whose pods were made by another kind of owner than the group's workloadKind names: the
// kind was changed on a group that has pods. Nothing of such a group is touched.
std::map<std::string, std::string> kind_conflicts(cluster_self self) {
  auto& st = self->state;
  std::map<std::string, std::string> out;
  for (const auto& [name, p] : st.pods) {
    if (p->is_head || p->deleting || out.count(p->group)) continue;
    auto kind = st.derived.group_kinds.find(p->group);
    if (kind == st.derived.group_kinds.end()) continue;  // a removed group's pods
    const char* expected = kind->second == ray::workload_kind::deployment    ? "ReplicaSet"
                           : kind->second == ray::workload_kind::statefulset ? "StatefulSet"
                                                                             : "RayCluster";
    if (p->owner_kind.empty() || p->owner_kind == expected) continue;
    const std::string was = p->owner_kind == "RayCluster"   ? "Pod"
                            : p->owner_kind == "ReplicaSet" ? "Deployment"
                                                            : p->owner_kind;
    out[p->group] = "the workloadKind of group " + p->group + " changed from " + was + " to " +
                    ray::to_string(kind->second) +
                    " while it has pods; a group's kind cannot change: set it back, or remove "
                    "the group and add one under a new name";
  }
  return out;
}

// The Deployment or StatefulSet of a group removed from the spec (or whose kind changed while
// it had no pods) goes, as a removed Pod group's pods do; its controller's pods go with it. So
// does an HPA its group no longer has, the head Service under its old name once the spec
// names it otherwise (headGroupSpec.headService.metadata.name), an Ingress or NetworkPolicy the
// spec no longer asks for.
void remove_stale_children(cluster_self self, const std::map<std::string, std::string>& conflicts) {
  auto& st = self->state;
  const std::string our_uid = k8s::uid(*st.stored);
  const auto now = st.port->now();
  for (const auto& [key, child] : st.children) {
    if (child->kind != "Deployment" && child->kind != "StatefulSet" &&
        child->kind != "HorizontalPodAutoscaler" && child->kind != "Service" &&
        child->kind != "Ingress" && child->kind != "NetworkPolicy" && child->kind != "Issuer" &&
        child->kind != "Certificate")
      continue;
    if (child->kind == "StatefulSet" && child->name == ray::head_statefulset_name(st.key.name))
      continue;
    if (child->owner_uid != our_uid || child->deleting) continue;
    bool wanted = false;
    for (const auto& c : st.derived.children)
      wanted |= c.kind == child->kind && c.name == child->name;
    auto group = st.derived.workload_groups.find(child->name);
    if (wanted || (group != st.derived.workload_groups.end() && conflicts.count(group->second)))
      continue;
    if (!st.ledger.may_write(key, now)) continue;  // in flight, or backing off
    write_request w;
    w.verb = "delete";
    w.type = *resource_of(st.options, child->kind);
    w.ns = st.key.ns;
    w.name = child->name;
    w.delete_opts.precondition_uid = child->uid;
    w.reason = child->kind == "HorizontalPodAutoscaler"
                   ? "its worker group no longer asks for one, or is suspended"
               : child->kind == "Service"
                   ? "the head Service is now named " + st.derived.head_service
               : child->kind == "Ingress" ? "headGroupSpec.enableIngress is no longer true"
               : child->kind == "Issuer" || child->kind == "Certificate"
                   ? "tlsOptions is no longer enabled"
               : child->kind == "NetworkPolicy"
                   ? "spec.networkPolicy, or the worker group it was for, is gone"
                   : "its worker group is no longer in the spec";
    const uint64_t ticket = st.next_ticket++;
    st.ledger.begin(key, ticket, now, "delete");
    st.delete_reasons[key] = w.reason;
    send_write(self, std::move(w), ticket);
  }
}

void ensure_groups(cluster_self self, const update_plan& plan,
                   const std::map<std::string, std::string>& conflicts) {
  auto& st = self->state;
  std::set<std::string> present;
  for (const auto& [group, why] : conflicts) present.insert(group);  // left as they are
  for (auto gs : st.derived.groups) {
    if (conflicts.count(gs.group)) continue;
    gs.recreate_to = plan.recreate_to;
    // Only a rolling update waits for the head; others need not hear of its readiness.
    gs.head_current = gs.strategy.type == ray::upgrade_type::rolling_update && plan.head_current;
    present.insert(gs.group);
    auto actor = st.groups.find(gs.group);
    if (actor == st.groups.end()) {
      actor = st.groups
                  .emplace(gs.group, spawn_worker_group(self, handle(self), st.port, gs.group,
                                                        st.options.group))
                  .first;
      std::vector<pod_ptr> pods;
      for (const auto& [name, p] : st.pods)
        if (!p->is_head && p->group == gs.group) pods.push_back(p);
      self->send(actor->second, pod_atom::value, resync_atom::value, std::move(pods));
    }
    std::string f = fingerprint(gs);
    auto& sent = st.sent_group_specs[gs.group];
    if (sent != f) {
      sent = std::move(f);
      self->send(actor->second, spec_atom::value, gs);
    }
  }
  // A group removed from the spec: its pods go.
  for (auto& [name, actor] : st.groups) {
    if (present.count(name)) continue;
    auto& sent = st.sent_group_specs[name];
    if (sent == "removed") continue;
    sent = "removed";
    group_spec gs;
    gs.group = name;
    gs.ns = st.key.ns;
    gs.flow = st.key.str();
    gs.desired = 0;
    gs.autoscaling = false;
    self->send(actor, spec_atom::value, std::move(gs));
  }
}

// KubeRay's provisioned metrics, from the condition just written.
void report_provisioned(cluster_self self, const nlohmann::json& status) {
  auto* metrics = self->state.options.metrics;
  if (!metrics) return;
  bool provisioned = false;
  std::string since;
  const auto conditions = status.find("conditions");
  if (conditions != status.end() && conditions->is_array())
    for (const auto& c : *conditions)
      if (c.value("type", "") == "RayClusterProvisioned") {
        provisioned = c.value("status", "") == "True";
        since = c.value("lastTransitionTime", "");
      }
  auto& reported = self->state.reported_provisioned;
  if (reported && *reported == provisioned) return;  // a family lock only when it changes
  reported = provisioned;
  const auto& stored = *self->state.stored;
  double seconds = 0;
  std::tm created{}, at{};
  if (strptime(k8s::creation_timestamp(stored).c_str(), "%Y-%m-%dT%H:%M:%SZ", &created) &&
      strptime(since.c_str(), "%Y-%m-%dT%H:%M:%SZ", &at))
    seconds = std::difftime(timegm(&at), timegm(&created));
  metrics->cluster_provisioned(self->state.key.ns, self->state.key.name, k8s::uid(stored),
                               provisioned, seconds);
}

}  // namespace

nlohmann::json involved_object(const nlohmann::json& raycluster) {
  return {{"apiVersion", std::string(ray::api_group) + "/" + ray::storage_version},
          {"kind", ray::kind},
          {"name", k8s::name(raycluster)},
          {"namespace", k8s::namespace_of(raycluster)},
          {"uid", k8s::uid(raycluster)}};
}

void record(cluster_self self, const std::string& type, const std::string& reason,
            const std::string& message) {
  auto& st = self->state;
  if (!st.stored) return;
  auto w = st.recorder.record(involved_object(*st.stored), type, reason, message, st.port->now(),
                              now_rfc3339());
  if (!w) return;
  const uint64_t ticket = st.next_ticket++;
  st.event_writes[ticket] = *w;
  send_write(self, std::move(*w), ticket);
}

outcome reconcile(cluster_self self) {
  auto& st = self->state;
  if (!st.stored) return outcome::done();
  const auto now = st.port->now();
  st.ledger.expire(now);
  if (st.options.fault_injection &&
      k8s::annotation(*st.stored, "ray-operator.dev/fail-reconcile").value_or("") == "true")
    throw std::runtime_error("failure injected by the annotation ray-operator.dev/fail-reconcile");

  refresh_derived(self);
  if (k8s::is_being_deleted(*st.stored)) return reconcile_deletion(self);
  const auto& problems = st.derived.problems;
  if (!problems.empty()) {
    // Bad input never touches what exists: report it, and wait for the spec to be fixed.
    const std::string summary = ray::summarize(problems);
    if (summary != st.last_problems) {
      st.last_problems = summary;
      spdlog::warn("RayCluster {} is invalid: {}", st.key.str(), summary);
      record(self, "Warning", "InvalidRayClusterSpec", summary);
    }
    return write_status(self, {});
  }
  if (!st.last_problems.empty()) {
    record(self, "Normal", "ValidRayClusterSpec", "The RayCluster spec is valid again");
    st.last_problems.clear();
  }

  const std::string& unacted = st.derived.unacted;
  if (unacted != st.last_unacted) {
    st.last_unacted = unacted;
    if (!unacted.empty()) {
      const std::string message =
          "Accepted, but asks for nothing on its own (the cluster runs without it): " + unacted;
      spdlog::warn("RayCluster {}: {}", st.key.str(), message);
      record(self, "Warning", "UnsupportedField", message);
    }
  }

  bool waiting = false;
  outcome result = ensure_finalizer(self, waiting);
  if (waiting) return result;
  result = ensure_defaults(self, waiting);
  if (waiting) return result;

  const auto conflicts = kind_conflicts(self);
  for (const auto& [group, why] : conflicts) {
    auto& failure = st.group_failures[group];
    if (failure.second == why) continue;
    failure = {"WorkloadKindChanged", why};
    spdlog::warn("RayCluster {}: {}", st.key.str(), why);
    record(self, "Warning", "WorkloadKindChanged", why);
  }
  for (auto it = st.group_failures.begin(); it != st.group_failures.end();)
    if (it->second.first == "WorkloadKindChanged" && !conflicts.count(it->first))
      it = st.group_failures.erase(it);
    else
      ++it;

  refresh_tls_ips(st);
  std::vector<ray::child_status> children;
  for (const auto& desired : st.derived.children) {
    if (auto g = st.derived.workload_groups.find(desired.name);
        g != st.derived.workload_groups.end() && conflicts.count(g->second))
      continue;
    ray::child_status status;
    status.kind = desired.kind;
    status.name = desired.name;
    // Without the RBAC "bind" verb (which the operator is deliberately not granted), the API
    // server accepts a RoleBinding only once the Role it names exists.
    if (desired.kind == "RoleBinding" &&
        !st.children.count(child_key("Role", ray::autoscaler_rbac_name(st.key.name)))) {
      status.message = "waiting for its Role";
      children.push_back(std::move(status));
      continue;
    }
    result.merge(ensure_child(self, desired, status));
    children.push_back(std::move(status));
  }
  remove_stale_children(self, conflicts);
  const update_plan plan = plan_updates(self);
  result.merge(ensure_head_update(self, plan));
  ensure_groups(self, plan, conflicts);
  result.merge(write_status(self, std::move(children)));
  if (auto due = st.ledger.next_due())
    result.merge(
        outcome::done_by(std::chrono::duration_cast<std::chrono::milliseconds>(*due - now) +
                         std::chrono::milliseconds(1)));

  if (auto* metrics = st.options.metrics) {
    if (!st.metrics_seen) metrics->cluster_seen(st.key.ns, st.key.name, k8s::uid(*st.stored));
    st.metrics_seen = true;
    static const nlohmann::json no_status = nlohmann::json::object();
    const auto stored_status = st.stored->find("status");
    report_provisioned(self, st.last_written_status              ? *st.last_written_status
                             : stored_status != st.stored->end() ? *stored_status
                                                                 : no_status);
  }
  return result;
}

}  // namespace actors
