#include "actors/k8s_port.hpp"

#include <spdlog/spdlog.h>

#include "actors/observed_child.hpp"
#include "k8s/object_meta.hpp"

namespace actors {

namespace {

int64_t ns_of(api_port::clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

}  // namespace

write_result result_of(const k8s::result<nlohmann::json>& r) {
  write_result out;
  if (!r) {
    out.error = r.error();
    return out;
  }
  const auto& object = r.value();
  out.name = k8s::name(object);
  out.uid = k8s::uid(object);
  out.resource_version = k8s::resource_version(object);
  return out;
}

void k8s_port::completed() {
  last_completion_ns_ = ns_of(clock::now());
  --in_flight_;
}

bool k8s_port::stalled(clock::time_point now, std::chrono::seconds limit) const {
  if (in_flight_ <= 0) return false;
  const int64_t since = std::max(last_completion_ns_.load(), oldest_start_ns_.load());
  return ns_of(now) - since > std::chrono::nanoseconds(limit).count();
}

void k8s_port::write(write_request w, caf::actor reply_to, uint64_t ticket) {
  spdlog::debug("write {} {} {}/{}{}: {}", w.verb, w.type.plural, w.ns, w.name,
                w.subresource.empty() ? "" : "/" + w.subresource, w.reason);
  ++writes_;
  if (in_flight_++ == 0) oldest_start_ns_ = ns_of(clock::now());
  auto done = [this, reply_to, ticket](k8s::result<nlohmann::json> r) {
    caf::anon_send(reply_to, written_atom::value, ticket, result_of(r));
    completed();
  };
  // A write's result is only the object's identity: nothing more of the answer is decoded.
  constexpr auto identity = k8s::decode::metadata;
  if (w.verb == "create")
    return api_.create(w.type, w.ns, std::move(w.body), std::move(done), identity);
  if (w.verb == "replace")
    return api_.replace(w.type, w.ns, w.name, std::move(w.body), std::move(done), w.subresource,
                        identity);
  if (w.verb == "patch")
    return api_.patch(w.type, w.ns, w.name, w.patch, std::move(w.body), std::move(done),
                      w.subresource, {}, identity);
  if (w.verb == "delete")
    return api_.remove(w.type, w.ns, w.name, w.delete_opts, std::move(done), identity);
  done(k8s::api_error(k8s::error_kind::config, "unknown write verb '" + w.verb + "'"));
}

void k8s_port::read(const k8s::resource& type, const std::string& ns, const std::string& name,
                    caf::actor reply_to, uint64_t ticket) {
  if (in_flight_++ == 0) oldest_start_ns_ = ns_of(clock::now());
  api_.get(type, ns, name,
           [this, reply_to, ticket, kind = type.kind](k8s::result<nlohmann::json> r) {
             write_result out = result_of(r);
             if (r && kind != "Pod") {
               auto& object = r.value();
               if (!object.contains("kind")) object["kind"] = kind;
               out.child = std::make_shared<const observed_child>(reduce_child(object));
             }
             caf::anon_send(reply_to, written_atom::value, ticket, std::move(out));
             completed();
           });
}

void k8s_port::wake_at(const caf::actor& who, clock::time_point at, uint64_t generation) {
  timers_.arm(who, at, generation);
}

void k8s_port::forget(caf::actor_id who) {
  timers_.forget(who);
}

}  // namespace actors
