#pragma once
// Kubernetes Events about the objects an actor owns, aggregated as client-go's EventCorrelator
// does: an Event like one recorded lately is not created again — the existing one has its
// count and lastTimestamp patched. "Like" is the same object, type and reason, and for Normal
// Events the same message. A Warning that repeats is one ongoing problem whose details drift
// (a quota's usage figures, a conflicting resourceVersion): it stays one Event carrying the
// newest message, where client-go would make up to ten before combining them. And each object
// gets a token bucket (25 Events, then one per 5 minutes, client-go's spam filter), so a
// failure that repeats can never turn into a stream of writes.
//
// The recorder decides; the actor sends the writes it returns through its port and reports
// back what failed.

#include <chrono>
#include <list>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "actors/protocol.hpp"

namespace actors {

struct event_recorder_options {
  int burst = 25;
  std::chrono::seconds refill{300};  // one more Event per object this often, after the burst
  size_t remembered = 16;            // distinct Events kept for aggregation (LRU)
  std::string component = "ray-operator";
};

class event_recorder {
 public:
  using time_point = std::chrono::steady_clock::time_point;
  explicit event_recorder(event_recorder_options options = {}) : options_(std::move(options)) {}

  // The write that records this Event now (a create, or a patch of the same Event recorded
  // before), or nothing when the object's budget is spent. `involved` is the object's
  // {apiVersion, kind, name, namespace, uid}; `timestamp` is RFC 3339 wall-clock time.
  std::optional<write_request> record(const nlohmann::json& involved, const std::string& type,
                                      const std::string& reason, const std::string& message,
                                      time_point now, const std::string& timestamp);
  // The answer to a write record() returned (`error` null: it succeeded). One write per Event
  // is in flight at a time — a patch sent before its create is done would find no Event — so
  // repeats meanwhile are counted and sent now, as the returned patch. A create that failed,
  // or a patch of an Event that is gone, makes the next repeat a create again.
  std::optional<write_request> answered(const write_request& request, const k8s::api_error* error);

  size_t remembered() const { return lru_.size(); }

 private:
  struct recorded {
    std::string ns;
    std::string name;  // of the Event object
    int64_t count = 0;
    std::string reason;
    std::string message;     // the newest
    std::string timestamp;   // of the newest repeat
    bool in_flight = false;  // a create or patch of it awaits its answer
    bool dirty = false;      // repeated since that write was sent
  };
  write_request patch_of(const recorded& r) const;
  struct bucket {
    double tokens = 0;
    time_point last{};
  };
  bool take_token(const std::string& object, time_point now);

  event_recorder_options options_;
  std::list<std::string> lru_;  // keys, most recent first
  std::map<std::string, std::pair<recorded, std::list<std::string>::iterator>> by_key_;
  std::map<std::string, bucket> buckets_;  // by involved object uid
};

}  // namespace actors
