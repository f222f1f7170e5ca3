#pragma once
// Asynchronous Kubernetes REST calls. Nothing here blocks the calling thread: every call
// returns at once and its result arrives later through a callback, on one of the client's own
// completion threads (never an HTTP I/O thread: decoding a large List there would hold up
// every other request and watch). Callers that live in an actor turn the callback into a
// message to themselves. Every call gets its callback exactly once, within `max_call_duration`
// plus one attempt's timeout: retries stop when the next would start past that.
//
// Every request passes the token-bucket rate limiter first. Failures that are safe to repeat
// are retried with exponential backoff and jitter: connection errors, timeouts and 5xx for
// idempotent requests, and 429 for any request (the server did not process it), waiting the
// server's Retry-After when it gives one. A create that asks the server to generate the name
// is never repeated after an ambiguous failure: the first attempt may have created an object,
// and only the caller can tell whether another one is wanted.

#include <chrono>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>

#include "k8s/backoff.hpp"
#include "k8s/config.hpp"
#include "k8s/error.hpp"
#include "k8s/http_transport.hpp"
#include "k8s/resource.hpp"

namespace k8s {

class rate_limiter;
class scheduler;

struct client_options {
  double qps = 100;
  int burst = 200;
  // Requests sent at once; more wait their turn. HTTP/1.1 needs a connection per request in
  // flight, and each new one costs a TLS handshake: a bound keeps the connections few and
  // reused. Past it a busy API server only queues, in arrival order, where a request of one
  // flow waits behind every request of another sent before it; below it, waiting requests take
  // turns by flow (see `flow` below). Watches do not count.
  int max_in_flight = 16;
  int max_retries = 4;  // attempts after the first
  backoff_policy retry_backoff{std::chrono::milliseconds(250), std::chrono::milliseconds(8'000)};
  // No retry starts later than this after the call began.
  std::chrono::seconds max_call_duration{60};
  // Threads that decode responses and run callbacks.
  int completion_threads = 2;
  transport_options transport{};
  // Another client's limiter (client::shared_limiter()), so that the two spend one budget:
  // qps and burst are then that limiter's. Null: a limiter of this client's own.
  std::shared_ptr<rate_limiter> limiter;
};

struct list_options {
  std::string label_selector;
  std::string field_selector;
  int64_t limit = 0;  // page size; 0: the server's choice (everything)
  std::string continue_token;
  std::string resource_version;  // "0": any cached version is fine
};

struct delete_options {
  std::string precondition_uid;               // delete only this incarnation of the name
  std::string precondition_resource_version;  // delete only if unchanged
  std::string propagation_policy;             // "Foreground", "Background", "Orphan"
  std::optional<int64_t> grace_period_seconds;
};

enum class patch_type { merge, json, strategic_merge, apply };
const char* content_type_of(patch_type type);

// One completed API call, for metrics and logs.
struct request_record {
  std::string verb;  // get, list, watch, create, patch, update, delete, discovery
  std::string path;
  int status = 0;  // HTTP status; 0 when no response arrived
  std::chrono::steady_clock::duration latency{};
  int attempt = 0;  // 0 for the first try
};

// How much of a response body a caller wants decoded. A write's answer is the whole object,
// and a caller that needs only its identity (name, namespace, uid, resourceVersion,
// generation) saves building the rest.
enum class decode { full, metadata };

class client {
 public:
  using json_callback = std::function<void(result<nlohmann::json>)>;

  explicit client(config cfg, client_options options = {});
  ~client();
  client(const client&) = delete;
  client& operator=(const client&) = delete;

  // `flow` names whose request a call is (a RayCluster's key, say): while requests wait their
  // turn for the rate limiter or the bound on requests in flight, the flows take turns, so one
  // flow's thousand queued requests hold another's one back by a turn, not by a thousand.
  void get(const resource& type, const std::string& ns, const std::string& name, json_callback done,
           const std::string& subresource = {}, const std::string& flow = {});
  // One page; the List's metadata.continue names the next page when there is one.
  void list(const resource& type, const std::string& ns, const list_options& options,
            json_callback done);
  // Every page, merged into one List whose metadata.resourceVersion is the last page's.
  void list_all(const resource& type, const std::string& ns, list_options options,
                json_callback done);
  void create(const resource& type, const std::string& ns, nlohmann::json object,
              json_callback done, decode body = decode::full, const std::string& flow = {});
  // A create of an object already serialized, which names itself (object_template::named):
  // repeated after an ambiguous failure like any call about one known name.
  void create_named_text(const resource& type, const std::string& ns, std::string text,
                         json_callback done, decode body = decode::full,
                         const std::string& flow = {});
  void replace(const resource& type, const std::string& ns, const std::string& name,
               nlohmann::json object, json_callback done, const std::string& subresource = {},
               decode body = decode::full, const std::string& flow = {});
  void patch(const resource& type, const std::string& ns, const std::string& name, patch_type kind,
             nlohmann::json body, json_callback done, const std::string& subresource = {},
             const std::string& field_manager = {}, decode answer = decode::full,
             const std::string& flow = {});
  void remove(const resource& type, const std::string& ns, const std::string& name,
              const delete_options& options, json_callback done, decode body = decode::full,
              const std::string& flow = {});
  // The group versions the server serves: "v1", "apps/v1", "ray.io/v1", ...
  void server_group_versions(std::function<void(result<std::set<std::string>>)> done);

  // The building block of the calls above, for paths they do not cover.
  void request(std::string verb, http_request_spec spec, bool retry_safe, json_callback done,
               const std::string& flow = {});

  // Observes every completed request (called on a client thread; keep it cheap).
  void set_observer(std::function<void(const request_record&)> observer);

  // Requests sent and not yet answered; requests waiting for a token or a slot.
  int requests_in_flight() const;
  size_t requests_waiting() const;

  const config& cfg() const { return transport_.cfg(); }
  http_transport& transport() { return transport_; }
  rate_limiter& limiter() { return *limiter_; }
  std::shared_ptr<rate_limiter> shared_limiter() const { return limiter_; }

 private:
  struct attempt_state;
  struct inflight;
  void start(std::string verb, http_request_spec spec, bool retry_safe, bool generated_name,
             json_callback done, decode body = decode::full, const std::string& flow = {});
  void run_attempt(std::shared_ptr<attempt_state> state);
  void send(std::shared_ptr<attempt_state> state);
  void dispatch();
  void finish_attempt(std::shared_ptr<attempt_state> state, result<http_response> outcome);

  http_transport transport_;
  client_options options_;
  std::shared_ptr<rate_limiter> limiter_;
  std::unique_ptr<scheduler> scheduler_;
  std::unique_ptr<inflight> inflight_;
  struct completions;
  std::unique_ptr<completions> completions_;
  struct admission;
  std::unique_ptr<admission> admission_;
  std::shared_ptr<std::function<void(const request_record&)>> observer_;
};

}  // namespace k8s
