#include "actors/api_writer.hpp"
#include "actors/clock.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <iomanip>
#include <map>
#include <random>
#include <sstream>

namespace actors {

namespace {

struct writer_state {
  static inline const char* name = "api-writer";
  k8s::client* api = nullptr;
  uint64_t next_id = 1;
  std::map<uint64_t, caf::typed_response_promise<write_result>> pending;
  writer_stats stats;
};

std::string random_suffix() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::ostringstream out;
  out << std::hex << std::setw(16) << std::setfill('0') << rng();
  return out.str();
}

void start_write(k8s::client& api, const write_request& w, k8s::client::json_callback done) {
  if (w.verb == "create") return api.create(w.type, w.ns, w.body, std::move(done));
  if (w.verb == "replace")
    return api.replace(w.type, w.ns, w.name, w.body, std::move(done), w.subresource);
  if (w.verb == "patch")
    return api.patch(w.type, w.ns, w.name, w.patch, w.body, std::move(done), w.subresource);
  if (w.verb == "delete") return api.remove(w.type, w.ns, w.name, w.delete_opts, std::move(done));
  done(k8s::api_error(k8s::error_kind::config, "unknown write verb '" + w.verb + "'"));
}

api_writer_actor::behavior_type writer(api_writer_actor::stateful_pointer<writer_state> self,
                                       k8s::client* api) {
  self->state.api = api;
  return {
      [=](write_atom, write_request& w) -> caf::result<write_result> {
        auto& st = self->state;
        const uint64_t id = st.next_id++;
        auto rp = self->make_response_promise<write_result>();
        st.pending.emplace(id, rp);
        ++st.stats.writes;
        spdlog::debug("write {} {} {}/{}{}: {}", w.verb, w.type.plural, w.ns, w.name,
                      w.subresource.empty() ? "" : "/" + w.subresource, w.reason);
        auto handle = caf::actor_cast<api_writer_actor>(self);
        start_write(*st.api, w, [handle, id](k8s::result<nlohmann::json> r) {
          write_result out;
          if (r)
            out.object = std::move(r.value());
          else
            out.error = r.error();
          caf::anon_send(handle, written_atom::value, id, std::move(out));
        });
        return rp;
      },
      [=](written_atom, uint64_t id, write_result& r) {
        auto& st = self->state;
        auto it = st.pending.find(id);
        if (it == st.pending.end()) return;
        if (!r.ok()) ++st.stats.failures;
        it->second.deliver(std::move(r));
        st.pending.erase(it);
      },
      [=](event_atom, event_request& e) {
        auto& st = self->state;
        ++st.stats.events;
        const std::string ns = e.involved.value("namespace", "default");
        const std::string ts = now_rfc3339();
        nlohmann::json event{
            {"apiVersion", "v1"},
            {"kind", "Event"},
            {"metadata",
             {{"name", e.involved.value("name", "object") + "." + random_suffix()},
              {"namespace", ns}}},
            {"involvedObject", e.involved},
            {"type", e.type},
            {"reason", e.reason},
            {"message", e.message},
            {"source", {{"component", "ray-operator"}}},
            {"firstTimestamp", ts},
            {"lastTimestamp", ts},
            {"count", 1},
            {"reportingComponent", "ray-operator"},
        };
        const std::string reason = e.reason;
        st.api->create(
            k8s::resources::events, ns, std::move(event), [reason](k8s::result<nlohmann::json> r) {
              if (!r) spdlog::warn("recording event {} failed: {}", reason, r.error().describe());
            });
      },
      [=](stats_atom) -> writer_stats { return self->state.stats; },
  };
}

}  // namespace

api_writer_actor spawn_api_writer(caf::actor_system& sys, k8s::client& api) {
  return sys.spawn(writer, &api);
}

}  // namespace actors
