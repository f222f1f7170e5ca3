// The writes of a RayCluster actor — its children, its defaults, its status — and what their
// results do. Every write goes through the ledger, so none is repeated while it is in flight
// or before the watch shows it, and a failing one backs off alone.

#include <spdlog/spdlog.h>

#include <algorithm>
#include <functional>

#include "actors/clock.hpp"
#include "actors/observed_child.hpp"
#include "actors/raycluster_state.hpp"
#include "k8s/base64.hpp"
#include "k8s/object_meta.hpp"
#include "k8s/patch.hpp"
#include "ray/children.hpp"
#include "ray/constants.hpp"
#include "ray/defaults.hpp"
#include "ray/workloads.hpp"

namespace actors {

namespace {

const k8s::resource rayclusters{ray::api_group, ray::storage_version, "rayclusters", ray::kind,
                                true};
constexpr const char* status_key = "status";
constexpr const char* defaults_key = "defaults";

}  // namespace

write_request raycluster_patch(const cluster_state& st, nlohmann::json body, std::string reason,
                               std::string subresource) {
  write_request w;
  w.verb = "patch";
  w.type = rayclusters;
  w.ns = st.key.ns;
  w.name = st.key.name;
  w.subresource = std::move(subresource);
  w.patch = k8s::patch_type::merge;
  w.body = std::move(body);
  w.reason = std::move(reason);
  return w;
}

const k8s::resource cert_manager_issuers{"cert-manager.io", "v1", "issuers", "Issuer", true};
const k8s::resource cert_manager_certificates{"cert-manager.io", "v1", "certificates",
                                              "Certificate", true};

bool refresh_tls_ips(cluster_state& st) {
  auto& d = st.derived;
  if (!d.tls || !d.problems.empty()) return false;
  std::vector<std::string> head, workers;
  for (const auto& [name, p] : st.pods)
    if (!p->deleting && !p->pod_ip.empty()) (p->is_head ? head : workers).push_back(p->pod_ip);
  std::sort(head.begin(), head.end());
  std::sort(workers.begin(), workers.end());
  if (head == d.tls_head_ips && workers == d.tls_worker_ips) return false;
  d.tls_head_ips = std::move(head);
  d.tls_worker_ips = std::move(workers);
  const nlohmann::json& defaulted_spec = defaulted(st);
  const std::string cluster = k8s::name(defaulted_spec);
  for (auto& c : d.children) {
    if (c.kind != "Certificate") continue;
    for (bool is_head : {true, false})
      if (c.name == ray::tls_certificate_name(cluster, is_head))
        c.hash = k8s::annotation(
                     ray::desired_tls_certificate(defaulted_spec, is_head,
                                                  is_head ? d.tls_head_ips : d.tls_worker_ips),
                     ray::annotation_spec_hash)
                     .value_or("");
  }
  return true;
}

const k8s::resource* resource_of(const raycluster_options& options, const std::string& kind) {
  if (kind == "Service") return &k8s::resources::services;
  if (kind == "HorizontalPodAutoscaler") return &options.hpa;
  if (kind == "StatefulSet") return &k8s::resources::statefulsets;
  if (kind == "Deployment") return &k8s::resources::deployments;
  if (kind == "ServiceAccount") return &k8s::resources::serviceaccounts;
  if (kind == "Role") return &k8s::resources::roles;
  if (kind == "RoleBinding") return &k8s::resources::rolebindings;
  if (kind == "PersistentVolumeClaim") return &k8s::resources::persistentvolumeclaims;
  if (kind == "Secret") return &k8s::resources::secrets;
  if (kind == "Issuer") return &cert_manager_issuers;
  if (kind == "Certificate") return &cert_manager_certificates;
  if (kind == "Ingress") return &k8s::resources::ingresses;
  if (kind == "NetworkPolicy") return &k8s::resources::networkpolicies;
  return nullptr;
}

namespace {

nlohmann::json build_desired(const derived_view& d, const nlohmann::json& defaulted,
                             const raycluster_options& options, const std::string& kind,
                             const std::string& name) {
  std::vector<nlohmann::json> candidates;
  if (kind == "Service") {
    candidates.push_back(ray::desired_head_service(defaulted));
    candidates.push_back(ray::desired_workers_service(defaulted));
  } else if (kind == "StatefulSet" && name == ray::head_statefulset_name(k8s::name(defaulted))) {
    candidates.push_back(ray::desired_head_statefulset(defaulted, d.hashes));
    add_test_env(candidates.back(), options, true);
  } else if (kind == "StatefulSet" || kind == "Deployment") {
    const auto& groups = defaulted["spec"]["workerGroupSpecs"];
    for (size_t i = 0; i < groups.size(); ++i) {
      if (ray::worker_workload_name(k8s::name(defaulted), groups[i].value("groupName", "")) != name)
        continue;
      candidates.push_back(ray::desired_worker_workload(defaulted, i, d.hashes,
                                                        group_desired_pods(defaulted, groups[i])));
      add_test_env(candidates.back(), options, false);
    }
  } else if (kind == "HorizontalPodAutoscaler") {
    const auto& groups = defaulted["spec"]["workerGroupSpecs"];
    for (size_t i = 0; i < groups.size(); ++i)
      candidates.push_back(ray::desired_worker_hpa(defaulted, i, options.hpa.api_version()));
  } else if (kind == "ServiceAccount") {
    candidates.push_back(ray::desired_autoscaler_service_account(defaulted));
  } else if (kind == "Role") {
    candidates.push_back(ray::desired_autoscaler_role(defaulted));
  } else if (kind == "RoleBinding") {
    candidates.push_back(ray::desired_autoscaler_role_binding(defaulted));
  } else if (kind == "PersistentVolumeClaim") {
    candidates.push_back(ray::desired_gcs_storage_claim(defaulted));
  } else if (kind == "Secret") {
    candidates.push_back(ray::desired_auth_secret(defaulted));
    // The token: random, made once with the Secret (ensure_child never writes it again).
    if (!candidates.back().is_null())
      candidates.back()["stringData"][ray::auth_token_key] = k8s::random_token_base64(32);
  } else if (kind == "Issuer" || kind == "Certificate") {
    candidates = ray::desired_tls_authority(defaulted);
    candidates.push_back(ray::desired_tls_certificate(defaulted, true, d.tls_head_ips));
    candidates.push_back(ray::desired_tls_certificate(defaulted, false, d.tls_worker_ips));
  } else if (kind == "Ingress") {
    candidates.push_back(ray::desired_head_ingress(defaulted));
  } else if (kind == "NetworkPolicy") {
    candidates = ray::desired_network_policies(defaulted);
  }
  // By kind too: the CA's Issuer and Certificate share a name.
  for (auto& c : candidates)
    if (!c.is_null() && k8s::name(c) == name && c.value("kind", "") == kind) return std::move(c);
  return nullptr;
}

std::chrono::milliseconds until(api_port::clock::time_point t, api_port::clock::time_point now) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t - now) +
         std::chrono::milliseconds(1);
}

uint64_t send(cluster_self self, const std::string& key, write_request w, std::string written) {
  auto& st = self->state;
  const uint64_t ticket = st.next_ticket++;
  st.ledger.begin(key, ticket, st.port->now(), std::move(written));
  send_write(self, std::move(w), ticket);
  return ticket;
}

// A failure the status should carry: "FailedCreateService" and the API server's message.
void describe_failure(const write_ledger& ledger, const std::string& key, const std::string& kind,
                      bool exists, ray::child_status& status) {
  if (const auto* error = ledger.failure(key)) {
    status.reason = std::string(exists ? "FailedUpdate" : "FailedCreate") + kind;
    status.message = error->describe();
  }
}

}  // namespace

outcome ensure_child(cluster_self self, const derived_view::child& desired,
                     ray::child_status& status) {
  auto& st = self->state;
  const auto* type = resource_of(st.options, desired.kind);
  if (!type) return outcome::done();
  const auto key = child_key(desired.kind, desired.name);
  const auto now = st.port->now();
  auto it = st.children.find(key);
  const bool exists = it != st.children.end();
  const std::string our_uid = k8s::uid(*st.stored);

  // Made once, never changed: the GCS's claim (a claim's spec is all but immutable; it is the
  // same whoever owns it, and deletionPolicy Retain leaves it with no owner for the next cluster
  // of that name), and the token's Secret once it is ours (the pods started with that token).
  const bool made_once = desired.kind == "PersistentVolumeClaim" ||
                         (desired.kind == "Secret" && exists && it->second->owner_uid == our_uid);
  if (exists && made_once) {
    status.present = !it->second->deleting;
    return outcome::done();
  }
  if (exists && it->second->owner_uid != our_uid) {
    const std::string id = key + "@" + it->second->uid;
    if (!st.foreign_reported.count(id)) {
      st.foreign_reported.insert(id);
      record(self, "Warning", "ChildNotOwned",
             desired.kind + " " + desired.name +
                 " exists and is not owned by this RayCluster; leaving it alone");
    }
    status.reason = "NotOwned";
    status.message = "it exists and belongs to something else";
    return outcome::done();  // nothing to retry until that object changes
  }
  // Written and not shown by the watch yet: it counts as there.
  if (st.ledger.settling(key)) {
    status.present = true;
    return outcome::done();
  }
  status.present = exists && !it->second->deleting;
  if (st.ledger.in_flight(key)) return outcome::done();  // its reply triggers a reconcile
  if (exists && it->second->deleting) return outcome::done();
  // A workload's replicas that are not what they must be: set again, though its spec is as
  // written (kubectl scale changes no annotation). An HPA's only while they are 0.
  const bool rescale =
      exists && desired.replicas >= 0 &&
      (desired.hpa_scaled ? it->second->replicas == 0 : it->second->replicas != desired.replicas);
  if (exists && it->second->spec_hash == desired.hash && !rescale) return outcome::done();
  describe_failure(st.ledger, key, desired.kind, exists, status);
  if (!st.ledger.may_write(key, now)) {
    const auto* e = st.ledger.find(key);
    return outcome::failed("writing " + key + ": " + status.message, until(e->due, now));
  }

  nlohmann::json body =
      build_desired(st.derived, defaulted(st), st.options, desired.kind, desired.name);
  if (body.is_null()) return outcome::done();
  write_request w;
  w.type = *type;
  w.ns = st.key.ns;
  w.name = desired.name;
  if (!exists) {
    w.verb = "create";
    w.body = std::move(body);
    w.reason = "it does not exist";
  } else {
    w.verb = "patch";
    w.patch = k8s::patch_type::merge;
    body.erase("apiVersion");
    body.erase("kind");
    body.erase("status");
    // The HPA's replicas stay as they are, unless they are 0 (where an HPA does not act).
    if (desired.hpa_scaled && !rescale) body["spec"].erase("replicas");
    w.reason = it->second->spec_hash != desired.hash
                   ? "its desired spec changed"
                   : "its replicas are " + std::to_string(it->second->replicas) + ", not " +
                         std::to_string(desired.replicas);
    w.body = std::move(body);
  }
  const std::string verb = w.verb;
  send(self, key, std::move(w), verb);
  return outcome::done();
}

outcome ensure_defaults(cluster_self self, bool& waiting) {
  auto& st = self->state;
  waiting = false;
  const auto& stored = *st.stored;
  // Written once, before the head exists: the Ray autoscaler reads them from the RayCluster.
  if (st.children.count(child_key("StatefulSet", ray::head_statefulset_name(st.key.name))))
    return outcome::done();
  const std::string rv = k8s::resource_version(stored);
  // Our write is what is stored: whatever it lacks still, the server does not keep.
  if (!st.defaults_written_rv.empty() && rv == st.defaults_written_rv) return outcome::done();
  if (st.ledger.in_flight(defaults_key) || st.ledger.settling(defaults_key)) {
    waiting = true;  // the children are built from the defaults: wait for them to show
    return outcome::done();
  }
  nlohmann::json patch = ray::defaults_patch(stored);
  if (patch.empty()) return outcome::done();
  const auto now = st.port->now();
  if (!st.ledger.may_write(defaults_key, now)) {
    // Go on without them: the children are built from the same defaults either way.
    const auto* e = st.ledger.find(defaults_key);
    return outcome::failed(
        "writing the defaults: " + (e && e->last_error ? e->last_error->describe() : std::string()),
        until(e->due, now));
  }
  send(self, defaults_key,
       raycluster_patch(st, std::move(patch),
                        "the Ray autoscaler reads defaults from the RayCluster"),
       {});
  waiting = true;
  return outcome::done();
}

namespace {

// The pods each group an HPA scales has now: its workload's replicas.
std::map<std::string, int64_t> hpa_desired(const cluster_state& st) {
  std::map<std::string, int64_t> out;
  for (const auto& c : st.derived.children) {
    if (!c.hpa_scaled) continue;
    auto workload = st.children.find(child_key(c.kind, c.name));
    auto group = st.derived.workload_groups.find(c.name);
    if (workload != st.children.end() && group != st.derived.workload_groups.end())
      out[group->second] = workload->second->replicas;
  }
  return out;
}

// Everything the status is computed from, as text: the same inputs give the same status, so
// the status (JSON built, compared and diffed) is computed only when this changes. Most pod
// events (a pod bound to a node, an annotation) change nothing it shows.
std::string status_inputs_key(const cluster_state& st,
                              const std::vector<ray::child_status>& children,
                              const std::map<std::string, int64_t>& hpa) {
  std::string key = k8s::resource_version(*st.stored);
  key += st.ledger.settling(status_key) ? "|s" : "|-";
  for (const auto& [name, p] : st.pods) {
    key += '|';
    key += name;
    key += p->is_head ? ":h:" : ":w:";
    key += p->group + ':' + p->phase + (p->ready ? ":r" : ":-") + (p->deleting ? "d" : "-") +
           (p->unschedulable ? "u" : "-") + (p->ray_container_terminated ? "t:" : "-:") +
           p->pod_ip + ':' + p->not_ready_reason + ':' + p->group_hash;
  }
  for (const auto& c : children)
    key += "|" + c.kind + "/" + c.name + (c.present ? "+" : "-") + c.reason + ":" + c.message;
  auto svc = st.children.find(child_key("Service", st.derived.head_service));
  if (svc != st.children.end()) {
    key += "|svc:" + svc->second->service.cluster_ip;
    for (const auto& [port_name, port] : svc->second->service.ports)
      key += ":" + port_name + "=" + std::to_string(port);
  }
  for (const auto& [group, failure] : st.group_failures)
    key += "|f:" + group + ":" + failure.first + ":" + failure.second;
  for (const auto& [group, pods] : hpa) key += "|hpa:" + group + std::to_string(pods);
  return key;
}

std::string condition_status(const nlohmann::json& status, const char* type) {
  for (const auto& c : status.value("conditions", nlohmann::json::array()))
    if (c.value("type", "") == type) return c.value("status", "");
  return {};
}

// A change people and tools wait on — the state, Ready, the head's readiness — is written at
// once; only progress in between (counts, messages) waits for the status interval.
bool turns(const nlohmann::json& current, const nlohmann::json& next) {
  if (current.value("state", "") != next.value("state", "")) return true;
  for (const char* type : {"Ready", "HeadPodReady", "ReplicaFailure"})
    if (condition_status(current, type) != condition_status(next, type)) return true;
  return false;
}

}  // namespace

outcome write_status(cluster_self self, std::vector<ray::child_status> children) {
  auto& st = self->state;
  if (st.ledger.in_flight(status_key)) return outcome::done();
  // Shown by the watch: the stored status is ours now, and our copy is not needed any more.
  if (!st.ledger.settling(status_key)) st.last_written_status.reset();
  const auto now = st.port->now();
  std::map<std::string, int64_t> hpa = hpa_desired(st);
  // Kept as a digest: the text lists every pod, and would be the largest thing a big cluster
  // keeps between reconciles.
  const uint64_t inputs = std::hash<std::string>{}(status_inputs_key(st, children, hpa)) | 1;
  if (inputs == st.status_inputs && !st.ledger.failure(status_key)) return outcome::done();
  if (inputs != st.status_held_inputs) st.status_changed_at = now;  // not a held one computed again
  st.status_inputs = inputs;
  ray::status_inputs in;
  in.stored = st.stored.get();
  const bool valid = st.derived.problems.empty();
  in.defaulted = valid ? &defaulted(st) : nullptr;
  in.problems = st.derived.problems;
  for (const auto& [name, p] : st.pods) in.pods.push_back(*p);
  if (valid) {
    auto svc = st.children.find(child_key("Service", st.derived.head_service));
    if (svc != st.children.end()) in.head_service = svc->second->service;
    in.children = std::move(children);
    in.hashes = &st.derived.hashes;
    in.upgrade_type = ray::to_string(st.derived.head_upgrade);
    in.hpa_desired = std::move(hpa);
  }
  for (const auto& [group, failure] : st.group_failures) {
    if (!in.replica_failure_message.empty()) break;
    in.replica_failure_reason = failure.first;
    in.replica_failure_message = failure.second;
  }
  in.now = now_rfc3339();
  // Until the watch shows our last write, it is what the server holds, and what the new status
  // builds on (under a slow limiter, the watch lags a write or two behind).
  const bool ours_pending = st.ledger.settling(status_key) && st.last_written_status;
  const nlohmann::json current =
      ours_pending ? *st.last_written_status : st.stored->value("status", nlohmann::json::object());
  in.previous = &current;
  nlohmann::json next = ray::compute_status(in);
  if (!ray::status_differs(current, next)) return outcome::done();
  // A write the watch has not shown yet does not hold up the next: it is patched on top.
  if (!ours_pending && !st.ledger.may_write(status_key, now)) {
    const auto* e = st.ledger.find(status_key);
    return outcome::failed("writing the status", until(e->due, now));
  }
  const bool turn = turns(current, next);
  if (st.status_written_at && !turn) {
    // Held until the interval ends, or until the changes have been quiet for status_quiet,
    // whichever is first — but at least status_interval after the last write.
    const auto interval_end = *st.status_written_at + st.status_pacing;
    const auto floor = *st.status_written_at + st.options.status_interval;
    const auto flush =
        std::max(floor, std::min(interval_end, st.status_changed_at + st.options.status_quiet));
    if (now < flush) {
      st.status_inputs = 0;  // not written: computed again then
      st.status_held_inputs = inputs;
      st.status_held = true;
      // A flush scheduled, not a retry: the reconcile did all it could.
      return outcome::done_by(until(flush, now));
    }
  }
  st.status_held_inputs = 0;
  // Held for the interval: changes keep coming, so the next wait is longer. Not held: a whole
  // interval passed without a change, and the next one starts afresh.
  if (!turn || !st.status_held)
    st.status_pacing = st.status_held
                           ? std::min(st.status_pacing * 2, st.options.status_interval_max)
                           : st.options.status_interval;
  st.status_held = false;
  st.status_written_at = now;
  write_request w = raycluster_patch(st, {{"status", k8s::merge_patch_diff(current, next)}},
                                     "the status changed", "status");
  st.last_written_status = std::move(next);
  send(self, status_key, std::move(w), {});
  return outcome::done();
}

bool on_written(cluster_self self, uint64_t ticket, write_result& r) {
  auto& st = self->state;
  const auto now = st.port->now();
  if (auto event = st.event_writes.find(ticket); event != st.event_writes.end()) {
    if (!r.ok())
      spdlog::warn("RayCluster {}: recording an Event failed: {}", st.key.str(),
                   r.error->describe());
    auto next = st.recorder.answered(event->second, r.ok() ? nullptr : &*r.error);
    st.event_writes.erase(event);
    if (next) {  // repeats counted while that write was in flight
      const uint64_t t = st.next_ticket++;
      st.event_writes[t] = *next;
      send_write(self, std::move(*next), t);
    }
    return false;
  }
  const auto key = st.ledger.key_of(ticket);
  if (!key) return false;  // overdue: already counted as failed
  if (*key == redis_key) return on_redis_cleaned(self, ticket, r);
  if (*key == finalizer_key) return on_finalizer_written(self, ticket, r);
  const auto* entry = st.ledger.find(*key);
  const bool created = entry && entry->written == "create";
  if (entry && entry->written == "delete") {  // a pod an update replaces, a stale workload
    const auto slash = key->find('/');
    const std::string kind = key->substr(0, slash), name = key->substr(slash + 1);
    const bool gone = r.ok() || r.error->kind() == k8s::error_kind::not_found ||
                      r.error->kind() == k8s::error_kind::conflict;
    if (gone) {
      st.ledger.succeeded(ticket, {}, now);
      st.ledger.forget(*key);
      if (r.ok() && kind == "Pod")
        record(self, "Normal", "DeletedPodForUpdate",
               "Deleted Pod " + name + ": it was made from an older spec");
      else if (r.ok())
        record(self, "Normal", "Deleted" + kind,
               "Deleted " + kind + " " + name + ": " + st.delete_reasons[*key]);
      st.delete_reasons.erase(*key);
    } else {
      st.ledger.failed(ticket, *r.error, now);
      auto pod = st.pods.find(name);
      if (kind == "Pod" && pod != st.pods.end())
        st.update_deleted_uids.erase(pod->second->uid);  // retried later
      record(self, "Warning", "FailedToDelete" + kind,
             "Failed to delete " + kind + " " + name + ": " + r.error->describe());
    }
    return true;
  }
  if (entry && entry->written == "read") {
    // The object that answered our create with a 409: ours from an earlier life, or not.
    if (r.ok() && r.child) {
      st.children[*key] = r.child;
      st.ledger.succeeded(ticket, r.resource_version, now);
    } else if (r.ok() || r.error->kind() == k8s::error_kind::not_found) {
      st.ledger.succeeded(ticket, {}, now);
      st.ledger.forget(*key);  // gone meanwhile: the next reconcile creates it
    } else {
      st.ledger.failed(ticket, *r.error, now);
    }
    return true;
  }
  // Done with, and nothing to wait for: no backoff, no expectation.
  const auto settle_now = [&] {
    st.ledger.succeeded(ticket, {}, now);
    st.ledger.forget(*key);
  };
  if (r.ok()) {
    st.ledger.succeeded(ticket, r.resource_version, now);
    if (*key == defaults_key) st.defaults_written_rv = r.resource_version;
    if (*key == status_key || *key == defaults_key) return true;
    const auto slash = key->find('/');
    const std::string kind = key->substr(0, slash);
    record(self, "Normal", (created ? "Created" : "Updated") + kind,
           std::string(created ? "Created " : "Updated ") + kind + " " + key->substr(slash + 1));
    return true;
  }
  const auto& e = *r.error;
  if (*key == status_key) {
    if (e.kind() == k8s::error_kind::not_found) {
      settle_now();
      return true;
    }  // the RayCluster is gone
    st.last_written_status.reset();
    st.status_inputs = 0;  // computed again, and written again after the backoff
    st.ledger.failed(ticket, e, now);
    spdlog::warn("RayCluster {}: writing the status failed: {}", st.key.str(), e.describe());
    return true;
  }
  if (*key == defaults_key) {
    // A conflict means the object changed meanwhile: the watch brings it; try on that at once.
    if (e.kind() == k8s::error_kind::conflict) {
      settle_now();
      return true;
    }
    st.ledger.failed(ticket, e, now);
    spdlog::warn("RayCluster {}: writing defaults failed: {}", st.key.str(), e.describe());
    return true;
  }
  const auto slash = key->find('/');
  const std::string kind = key->substr(0, slash);
  const std::string name = key->substr(slash + 1);
  if (e.kind() == k8s::error_kind::already_exists) {
    // Ours from an earlier life, or someone else's: read it to know which. The read holds
    // the key in the ledger, so no create is repeated meanwhile.
    settle_now();
    if (const auto* type = resource_of(st.options, kind)) {
      const uint64_t read = st.next_ticket++;
      st.ledger.begin(*key, read, now, "read");
      st.port->read(*type, st.key.ns, name, handle(self), read);
    }
    return true;
  }
  st.ledger.failed(ticket, e, now);
  record(self, "Warning", (created ? "FailedToCreate" : "FailedToUpdate") + kind,
         std::string("Failed to ") + (created ? "create " : "update ") + kind + " " + name + ": " +
             e.describe());
  return true;
}

}  // namespace actors
