// GCS fault tolerance on Redis keeps a cluster's state outside it, under one namespace of keys.
// Deleting the RayCluster must delete them too, or they stay in Redis for good; a finalizer
// holds the deletion until they are gone:
//
//   RayCluster created ──► finalizer added, before any child
//   RayCluster deleted ──► head StatefulSet deleted ──► no head pod (the GCS has stopped writing)
//                      ──► keys RAY<namespace>@* deleted ──► finalizer removed ──► GC of the rest
//
// Redis unreachable: a Warning, and retries with the ledger's backoff, until the deletion
// timeout (ray.io/gcs-ft-deletion-timeout, 5 min): then the finalizer goes regardless, with a
// Warning naming the keys left behind. A cleanup that cannot work (no address the operator can
// follow, TLS) says so and lets the deletion go at once.

#include <spdlog/spdlog.h>

#include <algorithm>

#include "actors/clock.hpp"
#include "actors/observed_child.hpp"
#include "actors/raycluster_state.hpp"
#include "k8s/object_meta.hpp"
#include "ray/children.hpp"
#include "ray/constants.hpp"
#include "ray/defaults.hpp"
#include "ray/redis_cleanup.hpp"

namespace actors {

namespace {

bool has_ours(const nlohmann::json& raycluster) {
  const auto all = k8s::finalizers(raycluster);
  return std::find(all.begin(), all.end(), ray::finalizer_redis_cleanup) != all.end();
}

std::chrono::milliseconds until(api_port::clock::time_point t, api_port::clock::time_point now) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t - now) +
         std::chrono::milliseconds(1);
}

// The finalizers with ours added or taken out. The resourceVersion makes it conditional: a
// list someone changed meanwhile is not overwritten (409, and the watch brings the new one).
void write_finalizers(cluster_self self, bool ours, const std::string& reason) {
  auto& st = self->state;
  std::vector<std::string> next;
  for (auto& f : k8s::finalizers(*st.stored))
    if (f != ray::finalizer_redis_cleanup) next.push_back(std::move(f));
  if (ours) next.push_back(ray::finalizer_redis_cleanup);
  write_request w = raycluster_patch(
      st,
      {{"metadata",
        {{"finalizers", next}, {"resourceVersion", k8s::resource_version(*st.stored)}}}},
      reason);
  st.finalizers_written_on = k8s::resource_version(*st.stored);
  const uint64_t ticket = st.next_ticket++;
  st.ledger.begin(finalizer_key, ticket, st.port->now());
  send_write(self, std::move(w), ticket);
}

// A finalizer write is in flight, or done and not shown by the watch yet: the version it was
// written on is still the one stored (the write was conditional on it, so the next version is
// the one it made).
bool finalizers_pending(const cluster_state& st) {
  return st.ledger.in_flight(finalizer_key) ||
         (!st.finalizers_written_on.empty() &&
          st.finalizers_written_on == k8s::resource_version(*st.stored));
}

outcome let_go(cluster_self self, const std::string& reason) {
  auto& st = self->state;
  const auto now = st.port->now();
  if (finalizers_pending(st)) return outcome::done();
  if (!st.ledger.may_write(finalizer_key, now))
    return outcome::failed("removing the finalizer",
                           until(st.ledger.find(finalizer_key)->due, now));
  write_finalizers(self, false, reason);
  return outcome::done();
}

// The head StatefulSet goes first, and with it the head pod: the GCS stops writing to Redis.
void stop_head(cluster_self self) {
  auto& st = self->state;
  const std::string name = ray::head_statefulset_name(st.key.name);
  const auto key = child_key("StatefulSet", name);
  auto it = st.children.find(key);
  if (it == st.children.end() || it->second->deleting) return;
  if (it->second->owner_uid != k8s::uid(*st.stored)) return;
  if (st.ledger.settling(key)) st.ledger.forget(key);  // a write of ours, superseded by this
  if (!st.ledger.may_write(key, st.port->now())) return;
  write_request w;
  w.verb = "delete";
  w.type = k8s::resources::statefulsets;
  w.ns = st.key.ns;
  w.name = name;
  w.delete_opts.precondition_uid = it->second->uid;
  w.reason = "the RayCluster is being deleted: the GCS stops before its keys go from Redis";
  const uint64_t ticket = st.next_ticket++;
  st.ledger.begin(key, ticket, st.port->now(), "delete");
  st.delete_reasons[key] = w.reason;
  send_write(self, std::move(w), ticket);
}

std::string describe(const ray::redis_cleanup_plan& plan) {
  return "the keys " + plan.key_pattern + " of storage namespace " + plan.storage_namespace;
}

}  // namespace

outcome ensure_finalizer(cluster_self self, bool& waiting) {
  auto& st = self->state;
  waiting = false;
  if (!st.options.redis_cleanup || !ray::keeps_state_in_redis(*st.stored) || has_ours(*st.stored))
    return outcome::done();
  // Nothing is created before it is there: a cluster deleted at once still has its keys cleaned.
  waiting = true;
  const auto now = st.port->now();
  if (finalizers_pending(st)) return outcome::done();
  if (!st.ledger.may_write(finalizer_key, now))
    return outcome::failed("adding the finalizer", until(st.ledger.find(finalizer_key)->due, now));
  write_finalizers(self, true, "its GCS state in Redis must be deleted with it");
  return outcome::done();
}

outcome reconcile_deletion(cluster_self self) {
  auto& st = self->state;
  const auto& stored = *st.stored;
  if (!has_ours(stored)) return outcome::done();  // the rest is the garbage collector's
  const auto now = st.port->now();
  if (!st.deletion_deadline) {
    auto timeout = ray::gcs_ft_deletion_timeout(stored);
    if (auto* bad = std::get_if<std::string>(&timeout)) {
      record(self, "Warning", "InvalidDeletionTimeout",
             *bad + "; waiting the default " +
                 std::to_string(ray::default_gcs_ft_deletion_timeout.count()) + " s");
      timeout = ray::default_gcs_ft_deletion_timeout;
    }
    // From the deletion's own time, so a restarted operator does not wait the timeout again.
    const auto since =
        seconds_since(k8s::deletion_timestamp(stored)).value_or(std::chrono::seconds(0));
    st.deletion_deadline =
        now + std::max(std::chrono::seconds(0), std::get<std::chrono::seconds>(timeout) - since);
  }

  // What the cleanup is about, from the spec as it was (an invalid one is read as best it can).
  std::variant<ray::redis_cleanup_plan, std::string> plan = std::string();
  try {
    plan = ray::plan_redis_cleanup(st.derived.problems.empty() ? defaulted(st)
                                                               : ray::with_defaults(stored));
  } catch (const std::exception& e) {
    plan = std::string(e.what());
  }
  if (auto* why = std::get_if<std::string>(&plan)) {
    if (st.redis_cleanup != redis_cleanup_state::abandoned) {
      st.redis_cleanup = redis_cleanup_state::abandoned;
      record(self, "Warning", "RedisCleanupSkipped",
             "The cluster's keys cannot be deleted from Redis: " + *why +
                 "; delete its storage namespace by hand");
    }
    return let_go(self, "its Redis cleanup cannot be done");
  }
  const auto& p = std::get<ray::redis_cleanup_plan>(plan);
  if (st.redis_cleanup != redis_cleanup_state::pending)
    return let_go(self, "its keys are gone from Redis, or cannot be");

  if (now >= *st.deletion_deadline) {
    st.redis_cleanup = redis_cleanup_state::abandoned;
    record(self, "Warning", "ForceDeletedStuckCluster",
           "The Redis cleanup did not finish within the deletion timeout (annotation " +
               std::string(ray::annotation_gcs_ft_deletion_timeout) + "): " + describe(p) +
               " may remain in Redis");
    return let_go(self, "its Redis cleanup timed out");
  }
  const outcome by_deadline = outcome::done_by(until(*st.deletion_deadline, now));

  stop_head(self);
  for (const auto& [name, pod] : st.pods)
    if (pod->is_head) return by_deadline;  // its removal brings the next reconcile

  if (st.ledger.in_flight(redis_key)) return by_deadline;
  if (!st.ledger.may_write(redis_key, now)) {
    outcome o = outcome::failed("deleting " + describe(p) + " from Redis",
                                until(st.ledger.find(redis_key)->due, now));
    o.merge(by_deadline);
    return o;
  }
  const uint64_t ticket = st.next_ticket++;
  st.ledger.begin(redis_key, ticket, now);
  st.port->clean_redis({st.key.ns, p}, handle(self), ticket);
  return by_deadline;
}

bool on_redis_cleaned(cluster_self self, uint64_t ticket, write_result& r) {
  auto& st = self->state;
  const auto now = st.port->now();
  if (r.ok()) {
    st.ledger.succeeded(ticket, {}, now);
    st.ledger.forget(redis_key);
    st.redis_cleanup = redis_cleanup_state::done;
    record(self, "Normal", "DeletedRedisKeys",
           "Deleted " + std::to_string(r.deleted) +
               " keys of the cluster's GCS state from Redis before its deletion");
    return true;
  }
  const auto& e = *r.error;
  spdlog::warn("RayCluster {}: deleting its keys from Redis failed: {}", st.key.str(),
               e.describe());
  if (e.kind() == k8s::error_kind::invalid) {  // nothing will make it work
    st.ledger.succeeded(ticket, {}, now);
    st.ledger.forget(redis_key);
    st.redis_cleanup = redis_cleanup_state::abandoned;
    record(self, "Warning", "RedisCleanupSkipped",
           "The cluster's keys cannot be deleted from Redis: " + e.message() +
               "; delete its storage namespace by hand");
    return true;
  }
  const auto retry_at = st.ledger.failed(ticket, e, now);
  record(self, "Warning", "RedisCleanupFailed",
         "Deleting the cluster's keys from Redis failed (retried in " +
             std::to_string(std::max<int64_t>(
                 1, std::chrono::duration_cast<std::chrono::seconds>(retry_at - now).count())) +
             " s, until the deletion timeout): " + e.message());
  return true;
}

bool on_finalizer_written(cluster_self self, uint64_t ticket, write_result& r) {
  auto& st = self->state;
  const auto now = st.port->now();
  if (r.ok()) {  // shown when the stored version moves on (finalizers_pending)
    st.ledger.succeeded(ticket, {}, now);
    st.ledger.forget(finalizer_key);
    return true;
  }
  const auto& e = *r.error;
  // Changed meanwhile: the watch brings the new version, and the next write is made on that one
  // (finalizers_pending waits for it). Or gone. Nothing to back off from.
  if (e.kind() == k8s::error_kind::conflict || e.kind() == k8s::error_kind::not_found) {
    st.ledger.succeeded(ticket, {}, now);
    st.ledger.forget(finalizer_key);
    return true;
  }
  st.finalizers_written_on.clear();
  st.ledger.failed(ticket, e, now);
  spdlog::warn("RayCluster {}: writing its finalizers failed: {}", st.key.str(), e.describe());
  return true;
}

}  // namespace actors
