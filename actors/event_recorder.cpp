#include "actors/event_recorder.hpp"

#include <iomanip>
#include <random>
#include <sstream>

namespace actors {

namespace {

std::string random_suffix() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::ostringstream out;
  out << std::hex << std::setw(16) << std::setfill('0') << rng();
  return out.str();
}

std::string text(const nlohmann::json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

bool event_recorder::take_token(const std::string& object, time_point now) {
  auto [it, added] = buckets_.try_emplace(object);
  bucket& b = it->second;
  if (added) {
    b.tokens = options_.burst;
    b.last = now;
  }
  const double refill = std::chrono::duration<double>(now - b.last).count() /
                        std::chrono::duration<double>(options_.refill).count();
  b.tokens = std::min<double>(options_.burst, b.tokens + refill);
  b.last = now;
  if (b.tokens < 1) return false;
  b.tokens -= 1;
  return true;
}

std::optional<write_request> event_recorder::record(const nlohmann::json& involved,
                                                    const std::string& type,
                                                    const std::string& reason,
                                                    const std::string& message, time_point now,
                                                    const std::string& timestamp) {
  const std::string uid = text(involved, "uid");
  const std::string ns =
      text(involved, "namespace").empty() ? std::string("default") : text(involved, "namespace");
  if (!take_token(uid.empty() ? text(involved, "name") : uid, now)) return std::nullopt;

  std::string key = uid + "\n" + type + "\n" + reason;
  if (type != "Warning") key += "\n" + message;
  write_request w;
  w.type = k8s::resources::events;
  w.ns = ns;
  w.reason = "event " + reason;
  auto known = by_key_.find(key);
  if (known != by_key_.end()) {
    recorded& r = known->second.first;
    lru_.splice(lru_.begin(), lru_, known->second.second);
    ++r.count;
    r.message = message;
    r.timestamp = timestamp;
    if (r.in_flight) {
      r.dirty = true;  // sent with the answer to the write in flight
      return std::nullopt;
    }
    r.in_flight = true;
    return patch_of(r);
  }

  recorded r{ns,  text(involved, "name") + "." + random_suffix(), 1, reason, message, timestamp,
             true};
  w.verb = "create";
  w.name = r.name;
  w.body = {{"apiVersion", "v1"},
            {"kind", "Event"},
            {"metadata", {{"name", r.name}, {"namespace", ns}}},
            {"involvedObject", involved},
            {"type", type},
            {"reason", reason},
            {"message", message},
            {"source", {{"component", options_.component}}},
            {"firstTimestamp", timestamp},
            {"lastTimestamp", timestamp},
            {"count", 1},
            {"reportingComponent", options_.component}};
  lru_.push_front(key);
  by_key_[key] = {std::move(r), lru_.begin()};
  while (lru_.size() > options_.remembered) {
    by_key_.erase(lru_.back());
    lru_.pop_back();
  }
  return w;
}

write_request event_recorder::patch_of(const recorded& r) const {
  write_request w;
  w.type = k8s::resources::events;
  w.ns = r.ns;
  w.name = r.name;
  w.verb = "patch";
  w.patch = k8s::patch_type::merge;
  w.reason = "event " + r.reason;
  w.body = {{"count", r.count}, {"lastTimestamp", r.timestamp}, {"message", r.message}};
  return w;
}

std::optional<write_request> event_recorder::answered(const write_request& request,
                                                      const k8s::api_error* error) {
  for (auto it = by_key_.begin(); it != by_key_.end(); ++it) {
    recorded& r = it->second.first;
    if (r.name != request.name) continue;
    r.in_flight = false;
    // No Event to patch: the create failed, or the Event expired. The next repeat creates one.
    if (error && (request.verb == "create" || error->kind() == k8s::error_kind::not_found)) {
      lru_.erase(it->second.second);
      by_key_.erase(it);
      return std::nullopt;
    }
    if (!r.dirty) return std::nullopt;
    r.dirty = false;
    r.in_flight = true;
    return patch_of(r);
  }
  return std::nullopt;  // forgotten meanwhile (LRU)
}

}  // namespace actors
