// The reconcile steps of a RayCluster actor: validate, write missing defaults once, converge
// the owned children, hand each worker group its target, and write the status if it changed.

#include <spdlog/spdlog.h>

#include <chrono>
#include <ctime>
#include <iomanip>
#include <sstream>

#include "actors/clock.hpp"
#include "actors/observed_child.hpp"
#include "actors/operator_metrics.hpp"
#include "actors/raycluster_state.hpp"
#include "actors/worker_group_actor.hpp"
#include "k8s/object_meta.hpp"
#include "k8s/patch.hpp"
#include "ray/children.hpp"
#include "ray/constants.hpp"
#include "ray/defaults.hpp"
#include "ray/status.hpp"
#include "ray/validation.hpp"

namespace actors {

namespace {

const k8s::resource rayclusters{ray::api_group, ray::storage_version, "rayclusters", ray::kind,
                                true};

void record(cluster_self self, const char* type, const char* reason, const std::string& message) {
  self->send(self->state.writer, event_atom::value,
             event_request{involved_object(self->state.stored), type, reason, message});
}

const k8s::resource* resource_of(const std::string& kind) {
  if (kind == "Service") return &k8s::resources::services;
  if (kind == "StatefulSet") return &k8s::resources::statefulsets;
  if (kind == "ServiceAccount") return &k8s::resources::serviceaccounts;
  if (kind == "Role") return &k8s::resources::roles;
  if (kind == "RoleBinding") return &k8s::resources::rolebindings;
  return nullptr;
}

// Creates a child that does not exist, updates one whose desired spec changed (told by the
// hash annotation), and leaves alone one that is current or that someone else owns.
void ensure_child(cluster_self self, const nlohmann::json& desired) {
  auto& st = self->state;
  if (desired.is_null()) return;
  const std::string kind = desired.value("kind", "");
  const std::string name = k8s::name(desired);
  const auto* type = resource_of(kind);
  const auto key = child_key(kind, name);
  if (!type || st.child_writes.count(key)) return;
  const std::string hash = k8s::annotation(desired, ray::annotation_spec_hash).value_or("");
  const std::string uid = k8s::uid(st.stored);

  write_request w;
  w.type = *type;
  w.ns = st.key.ns;
  w.name = name;
  auto it = st.children.find(key);
  if (it == st.children.end()) {
    w.verb = "create";
    w.body = desired;
    w.reason = "it does not exist";
  } else {
    const auto& have = it->second;
    if (have.owner_uid != uid) {
      if (st.last_problems != "foreign:" + key) {
        st.last_problems = "foreign:" + key;
        record(self, "Warning", "ChildNotOwned",
               kind + " " + name + " exists and is not owned by this RayCluster; leaving it alone");
      }
      return;
    }
    if (have.spec_hash == hash || have.deleting) return;
    w.verb = "patch";
    w.patch = k8s::patch_type::merge;
    nlohmann::json body = desired;
    body.erase("apiVersion");
    body.erase("kind");
    body.erase("status");
    w.body = std::move(body);
    w.reason = "its desired spec changed";
  }
  st.child_writes.insert(key);
  const std::string verb = w.verb;
  self->request(st.writer, caf::infinite, write_atom::value, std::move(w))
      .then([=](write_result& r) {
        auto& s = self->state;
        s.child_writes.erase(key);
        if (r.ok()) {
          // Remember the result at once: the watch may take a moment to show it.
          auto reduced = reduce_child(*r.object);
          if (reduced.kind.empty()) reduced.kind = kind;
          s.children[key] = reduced;
          const std::string what = verb == "create" ? "Created" : "Updated";
          record(self, "Normal", (what + kind).c_str(), what + " " + kind + " " + name);
        } else if (r.error->kind() == k8s::error_kind::already_exists) {
          // Ours from an earlier life, or someone else's: read it to know which.
          auto handle = caf::actor_cast<raycluster_actor>(self);
          s.api->get(*type, s.key.ns, name, [handle, kind](k8s::result<nlohmann::json> got) {
            if (!got) return;
            got.value()["kind"] = kind;
            caf::anon_send(handle, child_atom::value, apply_atom::value, reduce_child(got.value()));
          });
        } else {
          const std::string what = verb == "create" ? "FailedToCreate" : "FailedToUpdate";
          record(self, "Warning", (what + kind).c_str(),
                 "Failed to " + std::string(verb == "create" ? "create " : "update ") + kind + " " +
                     name + ": " + r.error->describe());
          self->delayed_send(self, std::chrono::seconds(5), reconcile_atom::value);
        }
      });
}

void ensure_groups(cluster_self self, const nlohmann::json& defaulted) {
  auto& st = self->state;
  const auto& spec = defaulted["spec"];
  const bool suspended = spec.value("suspend", false);
  const bool autoscaling = spec.value("enableInTreeAutoscaling", false);
  const auto& groups = spec["workerGroupSpecs"];
  std::set<std::string> present;
  for (size_t i = 0; i < groups.size(); ++i) {
    const auto& g = groups[i];
    const std::string name = g.value("groupName", "");
    present.insert(name);
    group_spec gs;
    gs.group = name;
    gs.index = i;
    const int64_t min = g.value("minReplicas", int64_t{0});
    const int64_t max = g.value("maxReplicas", ray::default_max_replicas);
    const int64_t replicas = std::clamp(g.value("replicas", min), min, max);
    gs.desired = suspended ? 0 : replicas * g.value("numOfHosts", int64_t{1});
    for (const auto& n :
         g.value("/scaleStrategy/workersToDelete"_json_pointer, nlohmann::json::array()))
      if (n.is_string()) gs.workers_to_delete.push_back(n.get<std::string>());
    gs.autoscaling = autoscaling;
    gs.pod = ray::desired_worker_pod(defaulted, i);
    gs.involved = involved_object(st.stored);

    auto actor = st.groups.find(name);
    if (actor == st.groups.end()) {
      actor = st.groups.emplace(name, spawn_worker_group(self, st.writer, name)).first;
      std::vector<ray::observed_pod> pods;
      for (const auto& [pod_name, p] : st.pods)
        if (!p.is_head && p.group == name) pods.push_back(p);
      self->send(actor->second, resync_atom::value, std::move(pods));
    }
    nlohmann::json summary{{"desired", gs.desired},
                           {"delete", gs.workers_to_delete},
                           {"autoscaling", gs.autoscaling},
                           {"pod", gs.pod}};
    auto& sent = st.sent_group_specs[name];
    if (sent != summary) {
      sent = std::move(summary);
      self->send(actor->second, spec_atom::value, std::move(gs));
    }
  }
  // A group removed from the spec: its pods go.
  for (auto& [name, actor] : st.groups) {
    if (present.count(name)) continue;
    auto& sent = st.sent_group_specs[name];
    if (sent.is_object() && sent.value("desired", -1) == 0 && !sent.value("autoscaling", true))
      continue;
    group_spec gs;
    gs.group = name;
    gs.desired = 0;
    gs.autoscaling = false;
    gs.involved = involved_object(st.stored);
    gs.pod =
        sent.is_object() ? sent.value("pod", nlohmann::json::object()) : nlohmann::json::object();
    sent = {{"desired", 0}, {"autoscaling", false}, {"pod", gs.pod}};
    self->send(actor, spec_atom::value, std::move(gs));
  }
}

// KubeRay's provisioned metrics, from the condition just written.
void report_provisioned(cluster_self self, const nlohmann::json& status) {
  auto* metrics = self->state.options.metrics;
  if (!metrics) return;
  bool provisioned = false;
  std::string since;
  for (const auto& c : status.value("conditions", nlohmann::json::array()))
    if (c.value("type", "") == "RayClusterProvisioned") {
      provisioned = c.value("status", "") == "True";
      since = c.value("lastTransitionTime", "");
    }
  auto& reported = self->state.reported_provisioned;
  if (reported && *reported == provisioned) return;  // a family lock only when it changes
  reported = provisioned;
  const auto& stored = self->state.stored;
  double seconds = 0;
  std::tm created{}, at{};
  if (strptime(k8s::creation_timestamp(stored).c_str(), "%Y-%m-%dT%H:%M:%SZ", &created) &&
      strptime(since.c_str(), "%Y-%m-%dT%H:%M:%SZ", &at))
    seconds = std::difftime(timegm(&at), timegm(&created));
  metrics->cluster_provisioned(self->state.key.ns, self->state.key.name, k8s::uid(stored),
                               provisioned, seconds);
}

void write_status(cluster_self self, const std::vector<ray::spec_problem>& problems,
                  const nlohmann::json* defaulted) {
  auto& st = self->state;
  if (st.status_write) return;
  ray::status_inputs in;
  in.stored = &st.stored;
  in.defaulted = defaulted;
  in.problems = problems;
  for (const auto& [name, p] : st.pods) in.pods.push_back(p);
  auto svc = st.children.find(child_key("Service", ray::head_service_name(st.key.name)));
  if (svc != st.children.end()) in.head_service = svc->second.service;
  in.now = now_rfc3339();
  nlohmann::json next = ray::compute_status(in);
  const nlohmann::json& previous = st.last_written_status
                                       ? *st.last_written_status
                                       : st.stored.value("status", nlohmann::json::object());
  if (!ray::status_differs(previous, next)) return;
  const nlohmann::json current = st.stored.value("status", nlohmann::json::object());
  write_request w;
  w.verb = "patch";
  w.type = rayclusters;
  w.ns = st.key.ns;
  w.name = st.key.name;
  w.subresource = "status";
  w.patch = k8s::patch_type::merge;
  w.body = {{"status", k8s::merge_patch_diff(current, next)}};
  w.reason = "the status changed";
  st.status_write = true;
  self->request(st.writer, caf::infinite, write_atom::value, std::move(w))
      .then([=](write_result& r) {
        auto& s = self->state;
        s.status_write = false;
        if (r.ok()) {
          s.last_written_status = r.object->value("status", nlohmann::json::object());
          s.stored = std::move(*r.object);
        } else if (r.error->kind() != k8s::error_kind::not_found) {
          spdlog::warn("RayCluster {}: writing status failed: {}", s.key.str(),
                       r.error->describe());
          self->delayed_send(self, std::chrono::seconds(2), reconcile_atom::value);
        }
      });
}

// Writes the defaults the stored object lacks, once, before the head exists: the Ray
// autoscaler reads them from the RayCluster. Returns true while that write is pending.
bool write_defaults(cluster_self self) {
  auto& st = self->state;
  if (st.children.count(child_key("StatefulSet", ray::head_statefulset_name(st.key.name))))
    return false;
  if (st.defaults_write) return true;
  const auto rv = k8s::resource_version(st.stored);
  if (st.defaults_tried_at_rv == rv) return false;  // tried on this version already
  nlohmann::json patch = ray::defaults_patch(st.stored);
  if (patch.empty()) return false;
  st.defaults_write = true;
  st.defaults_tried_at_rv = rv;
  write_request w;
  w.verb = "patch";
  w.type = rayclusters;
  w.ns = st.key.ns;
  w.name = st.key.name;
  w.patch = k8s::patch_type::merge;
  w.body = std::move(patch);
  w.reason = "the Ray autoscaler reads defaults from the RayCluster";
  self->request(st.writer, caf::infinite, write_atom::value, std::move(w))
      .then([=](write_result& r) {
        auto& s = self->state;
        s.defaults_write = false;
        if (r.ok()) {
          s.stored = std::move(*r.object);
        } else if (r.error->kind() != k8s::error_kind::conflict) {
          // A conflict means the object changed meanwhile: the watch brings it, and we retry
          // on the new version. Anything else is worth a log line; reconciling goes on.
          spdlog::warn("RayCluster {}: writing defaults failed: {}", s.key.str(),
                       r.error->describe());
        }
        self->send(self, reconcile_atom::value);
      });
  return true;
}

}  // namespace

nlohmann::json involved_object(const nlohmann::json& raycluster) {
  return {{"apiVersion", std::string(ray::api_group) + "/" + ray::storage_version},
          {"kind", ray::kind},
          {"name", k8s::name(raycluster)},
          {"namespace", k8s::namespace_of(raycluster)},
          {"uid", k8s::uid(raycluster)}};
}

void reconcile(cluster_self self) {
  auto& st = self->state;
  if (!st.synced || !st.stored.is_object() || k8s::is_being_deleted(st.stored)) return;
  if (st.options.fault_injection &&
      k8s::annotation(st.stored, "ray-operator.dev/fail-reconcile").value_or("") == "true")
    throw std::runtime_error("failure injected by the annotation ray-operator.dev/fail-reconcile");

  const auto problems = ray::validate(st.stored);
  if (!problems.empty()) {
    // Bad input never touches what exists: report it, and wait for the spec to be fixed.
    const std::string summary = ray::summarize(problems);
    if (summary != st.last_problems) {
      st.last_problems = summary;
      spdlog::warn("RayCluster {} is invalid: {}", st.key.str(), summary);
      record(self, "Warning", "InvalidRayClusterSpec", summary);
    }
    write_status(self, problems, nullptr);
    return;
  }
  if (!st.last_problems.empty() && st.last_problems.rfind("foreign:", 0) != 0) {
    record(self, "Normal", "ValidRayClusterSpec", "The RayCluster spec is valid again");
  }
  st.last_problems.clear();

  if (write_defaults(self)) return;
  const nlohmann::json defaulted = ray::with_defaults(st.stored);
  const auto& spec = defaulted["spec"];

  ensure_child(self, ray::desired_head_service(defaulted));
  ensure_child(self, ray::desired_workers_service(defaulted));
  if (spec.value("enableInTreeAutoscaling", false)) {
    ensure_child(self, ray::desired_autoscaler_service_account(defaulted));
    ensure_child(self, ray::desired_autoscaler_role(defaulted));
    // Without the RBAC "bind" verb (which the operator is deliberately not granted), the API
    // server accepts a RoleBinding only once the Role it names exists.
    if (st.children.count(child_key("Role", ray::autoscaler_rbac_name(st.key.name))))
      ensure_child(self, ray::desired_autoscaler_role_binding(defaulted));
  }
  ensure_child(self, ray::desired_head_statefulset(defaulted));
  ensure_groups(self, defaulted);
  write_status(self, {}, &defaulted);
  if (auto* metrics = st.options.metrics) {
    if (!st.metrics_seen) metrics->cluster_seen(st.key.ns, st.key.name, k8s::uid(st.stored));
    st.metrics_seen = true;
    metrics->reconcile_done(true);
    report_provisioned(self, st.last_written_status
                                 ? *st.last_written_status
                                 : st.stored.value("status", nlohmann::json::object()));
  }
}

}  // namespace actors
