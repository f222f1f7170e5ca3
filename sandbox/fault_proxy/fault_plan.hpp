#pragma once
// What the fault proxy does to each request, as commanded: answer it with an error instead of
// passing it on, drop it, answer a watch's resume with 410 Gone, or pass it on late. Pure: the
// proxy (proxy.cpp) asks `decide` for every request and carries the decision out; the control
// endpoint (control.cpp) turns its commands into `command` calls. docs/sandbox.md lists the
// commands.

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace fault_proxy {

using clock = std::chrono::steady_clock;

// The parts of a request target the plan matches on.
struct request_info {
  std::string method;    // GET, POST, PATCH, ...
  std::string resource;  // "pods", "rayclusters", "leases"; "" for discovery paths
  bool watch = false;    // a watch (?watch=1, or a path under /watch/)
  bool resumes = false;  // a watch from a resourceVersion other than "" and "0"
};

// Reads a request target ("/api/v1/namespaces/n/pods?watch=1&resourceVersion=5").
request_info describe(std::string method, std::string_view target);

// Which requests a rule applies to; an empty field matches every request.
struct matcher {
  std::string resource;
  std::set<std::string> methods;
  enum class watches { any, only, none } watch = watches::any;
  bool matches(const request_info& r) const;
};

// A rule lasts until its deadline, or for its count of requests, whichever ends first; `percent`
// of the matching requests are hit (the others pass).
struct rule_limits {
  std::optional<clock::time_point> until;
  int64_t remaining = -1;  // -1: no count
  int percent = 100;
  bool live(clock::time_point now) const;
};

struct decision {
  enum class action {
    forward,  // pass the request on (after `delay`)
    respond,  // answer it here with `code` (and Retry-After when `retry_after` > 0)
    drop,     // close the connection without an answer
    gone,     // a watch resume: answer with an ERROR event of 410 Gone, then end the stream
  } what = action::forward;
  int code = 0;
  int retry_after = 0;
  std::chrono::milliseconds delay{0};  // before the response is passed back
};

// The Status body of an error answer, as the API server writes it.
std::string status_body(int code);

class fault_plan {
 public:
  explicit fault_plan(uint64_t seed = 1) : random_(seed) {}

  decision decide(const request_info& r, clock::time_point now);

  // A command of the control endpoint: its name and its query parameters. Returns "" when it was
  // taken, else what is wrong with it. Commands: error, drop, gone, latency, reset.
  std::string command(const std::string& name, std::map<std::string, std::string> params,
                      clock::time_point now);

  // Requests seen by method, and what was done to them ("forwarded", "error 429", "dropped",
  // "gone", "delayed").
  std::map<std::string, int64_t> requests() const;
  std::map<std::string, int64_t> outcomes() const;

 private:
  struct error_rule {
    matcher match;
    rule_limits limits;
    int code = 500;
    int retry_after = 0;
  };
  struct simple_rule {  // drop, gone
    matcher match;
    rule_limits limits;
  };
  bool hits(rule_limits& limits, clock::time_point now);

  mutable std::mutex mutex_;
  std::mt19937_64 random_;
  std::vector<error_rule> errors_;
  std::vector<simple_rule> drops_;
  std::vector<simple_rule> gones_;
  std::chrono::milliseconds latency_{0};
  std::optional<clock::time_point> latency_until_;
  std::map<std::string, int64_t> requests_;
  std::map<std::string, int64_t> outcomes_;
};

}  // namespace fault_proxy
