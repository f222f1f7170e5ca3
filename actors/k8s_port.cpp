#include "actors/k8s_port.hpp"

#include <spdlog/spdlog.h>

#include <future>

#include "actors/observed_child.hpp"
#include "actors/redis_keys.hpp"
#include "k8s/base64.hpp"
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
  // Events go through a client of their own, as controller-runtime's recorder has one: under
  // its own bound on requests in flight, so that a scale-up's thousand Events never hold its
  // pod creates back, but spending the same rate limiter's budget (see app/main.cpp).
  k8s::client& api = w.type.plural == k8s::resources::events.plural ? events_ : api_;
  if (w.verb == "create" && !w.text.empty())
    return api.create_named_text(w.type, w.ns, std::move(w.text), std::move(done), identity,
                                 w.flow);
  if (w.verb == "create")
    return api.create(w.type, w.ns, std::move(w.body), std::move(done), identity, w.flow);
  if (w.verb == "replace")
    return api.replace(w.type, w.ns, w.name, std::move(w.body), std::move(done), w.subresource,
                       identity, w.flow);
  if (w.verb == "patch")
    return api.patch(w.type, w.ns, w.name, w.patch, std::move(w.body), std::move(done),
                     w.subresource, {}, identity, w.flow);
  if (w.verb == "delete")
    return api.remove(w.type, w.ns, w.name, w.delete_opts, std::move(done), identity, w.flow);
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

k8s_port::~k8s_port() {
  std::lock_guard<std::mutex> lock(cleanups_mutex_);
  for (auto& c : cleanups_) c.thread.join();
}

namespace {

constexpr std::chrono::seconds redis_timeout{10};

// A value from the env's literal or a Secret's key, read through the client (which answers
// within its bounded retries).
std::variant<std::string, k8s::api_error> resolve(k8s::client& api, const std::string& ns,
                                                  const ray::value_source& source) {
  if (!source.from_secret()) return source.value;
  std::promise<k8s::result<nlohmann::json>> answer;
  auto got = answer.get_future();
  api.get(k8s::resources::secrets, ns, source.secret,
          [&answer](k8s::result<nlohmann::json> r) { answer.set_value(std::move(r)); });
  auto r = got.get();
  const std::string what = "Secret " + source.secret + " key " + source.key;
  if (!r) return k8s::api_error(r.error().kind(), "reading " + what + ": " + r.error().describe());
  const auto& data = r.value().value("data", nlohmann::json::object());
  auto value = data.find(source.key);
  if (value == data.end() || !value->is_string())
    return k8s::api_error(k8s::error_kind::not_found, what + " does not exist");
  auto decoded = k8s::decode_base64(value->get<std::string>());
  if (!decoded) return k8s::api_error(k8s::error_kind::decode, what + " is not base64");
  return *decoded;
}

write_result clean(k8s::client& api, const redis_cleanup_request& request) {
  write_result out;
  const auto& plan = request.plan;
  std::string values[3];
  const ray::value_source* sources[3] = {&plan.address, &plan.username, &plan.password};
  for (int i = 0; i < 3; ++i) {
    auto v = resolve(api, request.ns, *sources[i]);
    if (auto* e = std::get_if<k8s::api_error>(&v)) {
      out.error = *e;
      return out;
    }
    values[i] = std::get<std::string>(v);
  }
  auto endpoint = ray::parse_redis_address(values[0]);
  if (auto* e = std::get_if<std::string>(&endpoint)) {
    out.error = k8s::api_error(k8s::error_kind::invalid, *e);
    return out;
  }
  auto& at = std::get<ray::redis_endpoint>(endpoint);
  if (!values[1].empty()) at.username = values[1];
  if (!values[2].empty()) at.password = values[2];
  auto deleted = delete_redis_keys(at, plan.key_pattern, redis_timeout);
  if (auto* f = std::get_if<redis_failure>(&deleted))
    out.error = k8s::api_error(f->retriable ? k8s::error_kind::transport : k8s::error_kind::invalid,
                               f->message);
  else
    out.deleted = std::get<int64_t>(deleted);
  return out;
}

}  // namespace

void k8s_port::clean_redis(redis_cleanup_request request, caf::actor reply_to, uint64_t ticket) {
  spdlog::info("deleting Redis keys {} for {}", request.plan.key_pattern, request.ns);
  std::lock_guard<std::mutex> lock(cleanups_mutex_);
  // Threads that are done are joined here, so the list holds only the running ones.
  for (auto it = cleanups_.begin(); it != cleanups_.end();) {
    if (*it->done) {
      it->thread.join();
      it = cleanups_.erase(it);
    } else {
      ++it;
    }
  }
  auto done = std::make_shared<std::atomic<bool>>(false);
  cleanups_.push_back({std::thread([this, request = std::move(request), reply_to, ticket, done] {
                         caf::anon_send(reply_to, written_atom::value, ticket,
                                        clean(api_, request));
                         *done = true;
                       }),
                       done});
}

void k8s_port::wake_at(const caf::actor& who, clock::time_point at, uint64_t generation) {
  timers_.arm(who, at, generation);
}

void k8s_port::forget(caf::actor_id who) {
  timers_.forget(who);
}

}  // namespace actors
