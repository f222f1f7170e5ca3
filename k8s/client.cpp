#include "k8s/client.hpp"

#include <atomic>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>

#include "k8s/json_decode.hpp"
#include "k8s/rate_limiter.hpp"
#include "k8s/scheduler.hpp"
#include "k8s/thread_name.hpp"

namespace k8s {

const char* content_type_of(patch_type type) {
  switch (type) {
    case patch_type::merge:
      return "application/merge-patch+json";
    case patch_type::json:
      return "application/json-patch+json";
    case patch_type::strategic_merge:
      return "application/strategic-merge-patch+json";
    case patch_type::apply:
      return "application/apply-patch+yaml";
  }
  return "application/json";
}

namespace {

std::string with_query(std::string path,
                       const std::vector<std::pair<std::string, std::string>>& q) {
  char sep = '?';
  for (const auto& [key, value] : q) {
    if (value.empty()) continue;
    path += sep + key + "=" + url_encode(value);
    sep = '&';
  }
  return path;
}

std::string list_target(const resource& type, const std::string& ns, const list_options& o) {
  return with_query(type.collection_path(ns),
                    {{"labelSelector", o.label_selector},
                     {"fieldSelector", o.field_selector},
                     {"limit", o.limit > 0 ? std::to_string(o.limit) : ""},
                     {"continue", o.continue_token},
                     {"resourceVersion", o.resource_version}});
}

// A create whose name the server generates must not be repeated after an ambiguous failure.
bool names_itself(const nlohmann::json& object) {
  auto meta = object.find("metadata");
  return meta != object.end() && meta->is_object() && meta->contains("name") &&
         (*meta)["name"].is_string() && !(*meta)["name"].get<std::string>().empty();
}

// Failures after which the server certainly created nothing, so a generated-name create may
// be repeated: a name collision (1.20 answers it with a 500 ServerTimeout, later releases with
// 409 AlreadyExists) or a 429.
bool collision_or_throttle(const api_error& e) {
  return e.kind() == error_kind::too_many_requests || e.kind() == error_kind::already_exists ||
         (e.http_code() == 500 && e.reason() == "ServerTimeout");
}

bool should_retry(const api_error& e, bool retry_safe, bool generated_name) {
  if (generated_name) return collision_or_throttle(e);
  switch (e.kind()) {
    case error_kind::too_many_requests:
      return true;
    case error_kind::transport:
    case error_kind::timeout:
    case error_kind::server_error:
      return retry_safe;
    default:
      return false;
  }
}

}  // namespace

struct client::attempt_state {
  std::string verb;
  http_request_spec spec;
  bool retry_safe = true;
  bool generated_name = false;
  json_callback done;
  decode body = decode::full;
  backoff retry_backoff;
  int attempt = 0;
  std::string flow;                // whose request: see client::admission
  bool has_token = false;          // this attempt holds its rate-limiter token
  uint64_t bearer_generation = 0;  // of the bearer token this attempt sent (token_source)
  bool reauthenticated = false;    // retried once with a token re-read after a 401
  std::chrono::steady_clock::time_point began;    // the call
  std::chrono::steady_clock::time_point started;  // this attempt
};

// Outstanding HTTP calls, so the destructor can wait until none can call back into it. The
// count is an atomic: the mutex is taken only when it drops to zero.
struct client::inflight {
  std::mutex mutex;
  std::condition_variable idle;
  std::atomic<int> count{0};
  std::atomic<bool> stopping{false};
  void enter() { ++count; }
  void leave() {
    if (--count == 0) {
      std::lock_guard<std::mutex> lock(mutex);
      idle.notify_all();
    }
  }
};

// Who goes next. Requests wait here for a rate-limiter token and for a slot under the bound on
// requests in flight, by flow (the caller's: a RayCluster, say), and the flows take turns: one
// request of each waiting flow before a second of any, each flow's in the order they came. So
// a flow with a thousand requests queued delays another flow's one request by one turn, not by
// a thousand — the client-side half of the API server's own fairness between flows. When
// nothing waits, a request takes its token and its slot with two atomic operations; the lock
// is taken only while requests wait their turn.
struct client::admission {
  explicit admission(int max) : max(max) {}
  const int max;
  std::atomic<int> active{0};
  std::atomic<bool> has_waiting{false};
  std::mutex m;
  std::map<std::string, std::deque<std::shared_ptr<client::attempt_state>>> flows;  // non-empty
  std::deque<std::string> turns;  // the flows in flows, the next to go first
  bool timer_armed = false;       // a dispatch is due when the next token is

  bool take_slot() { return max <= 0 || active.fetch_add(1) < max || (--active, false); }
  void give_slot() {
    if (max > 0) --active;
  }
};

namespace {

// Keeps of an object only what identifies it: the top-level kind and apiVersion, and of its
// metadata name, namespace, uid, resourceVersion and generation. Everything else is parsed
// past without being built.
bool identity_only(int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
  using ev = nlohmann::json::parse_event_t;
  if (event != ev::key) return true;
  const auto& key = parsed.get_ref<const std::string&>();
  if (depth == 1) return key == "metadata" || key == "kind" || key == "apiVersion";
  if (depth == 2)
    return key == "name" || key == "namespace" || key == "uid" || key == "resourceVersion" ||
           key == "generation";
  return true;
}

}  // namespace

struct client::completions {
  explicit completions(int threads) : pool(static_cast<size_t>(std::max(1, threads))) {
    // Each thread names itself on its first task.
    for (int i = 0; i < threads; ++i)
      boost::asio::post(pool, [] { name_this_thread("k8s-complete"); });
  }
  boost::asio::thread_pool pool;
};

client::client(config cfg, client_options options)
    : transport_(cfg, options.transport),
      options_(options),
      limiter_(options.limiter ? options.limiter
                               : std::make_shared<rate_limiter>(options.qps, options.burst)),
      scheduler_(std::make_unique<scheduler>()),
      inflight_(std::make_unique<inflight>()),
      completions_(std::make_unique<completions>(options.completion_threads)),
      admission_(std::make_unique<admission>(options.max_in_flight)),
      observer_(std::make_shared<std::function<void(const request_record&)>>()) {}

client::~client() {
  auto& c = *inflight_;
  c.stopping = true;
  scheduler_->shutdown();
  {
    std::unique_lock<std::mutex> lock(c.mutex);
    c.idle.wait(lock, [&] { return c.count == 0; });
  }
  completions_->pool.join();
}

void client::set_observer(std::function<void(const request_record&)> observer) {
  observer_ = std::make_shared<std::function<void(const request_record&)>>(std::move(observer));
}

void client::request(std::string verb, http_request_spec spec, bool retry_safe, json_callback done,
                     const std::string& flow) {
  start(std::move(verb), std::move(spec), retry_safe, false, std::move(done), decode::full, flow);
}

void client::start(std::string verb, http_request_spec spec, bool retry_safe, bool generated_name,
                   json_callback done, decode body, const std::string& flow) {
  auto state = std::make_shared<attempt_state>();
  state->flow = flow;
  state->body = body;
  state->verb = std::move(verb);
  state->spec = std::move(spec);
  state->retry_safe = retry_safe;
  state->generated_name = generated_name;
  state->done = std::move(done);
  state->retry_backoff = backoff(options_.retry_backoff);
  state->began = std::chrono::steady_clock::now();
  run_attempt(std::move(state));
}

void client::run_attempt(std::shared_ptr<attempt_state> state) {
  if (inflight_->stopping) {
    state->done(api_error(error_kind::canceled, "the client is shutting down"));
    return;
  }
  auto& a = *admission_;
  // Nothing waiting: no one's turn to take, so this request goes now if a token and a slot are.
  if (!a.has_waiting.load()) {
    state->has_token = limiter_->try_acquire() == std::chrono::nanoseconds::zero();
    if (state->has_token && a.take_slot()) return send(std::move(state));
  }
  {
    std::lock_guard<std::mutex> lock(a.m);
    auto& queue = a.flows[state->flow];
    if (queue.empty()) a.turns.push_back(state->flow);
    queue.push_back(std::move(state));
    a.has_waiting = true;
  }
  dispatch();  // a token or a slot may have come free meanwhile
}

void client::dispatch() {
  auto& a = *admission_;
  for (;;) {
    std::shared_ptr<attempt_state> next;
    std::chrono::nanoseconds wait{};
    {
      std::lock_guard<std::mutex> lock(a.m);
      if (inflight_->stopping) {  // what waits is dropped, as the scheduler drops its tasks
        a.flows.clear();
        a.turns.clear();
      }
      if (a.turns.empty()) {
        a.has_waiting = false;
        return;
      }
      auto& queue = a.flows[a.turns.front()];
      auto& head = queue.front();
      if (!head->has_token) {
        wait = limiter_->try_acquire();
        head->has_token = wait == std::chrono::nanoseconds::zero();
      }
      if (head->has_token) {
        if (!a.take_slot()) return;  // the request that frees one dispatches again
        next = std::move(head);
        queue.pop_front();
        std::string flow = std::move(a.turns.front());
        a.turns.pop_front();
        if (queue.empty())
          a.flows.erase(flow);
        else
          a.turns.push_back(std::move(flow));
      } else if (a.timer_armed) {
        return;
      } else {
        a.timer_armed = true;
      }
    }
    if (!next) {
      scheduler_->post_after(wait, [this] {
        {
          std::lock_guard<std::mutex> lock(admission_->m);
          admission_->timer_armed = false;
        }
        dispatch();
      });
      return;
    }
    send(std::move(next));
  }
}

void client::send(std::shared_ptr<attempt_state> state) {
  inflight_->enter();
  state->has_token = false;  // spent: a retry takes another
  state->started = std::chrono::steady_clock::now();
  if (const auto& token = transport_.cfg().token) state->bearer_generation = token->generation();
  transport_.send(state->spec, [this, state](result<http_response> outcome) {
    // Off the I/O thread at once: decoding and the caller's callback run on our own threads.
    boost::asio::post(completions_->pool, [this, state, outcome = std::move(outcome)]() mutable {
      auto& a = *admission_;
      a.give_slot();
      if (a.has_waiting) dispatch();
      finish_attempt(state, std::move(outcome));
      inflight_->leave();
    });
  });
}

void client::finish_attempt(std::shared_ptr<attempt_state> state, result<http_response> outcome) {
  const int status = outcome ? outcome.value().status : 0;
  if (auto observer = observer_; observer && *observer)
    (*observer)({state->verb, state->spec.target, status,
                 std::chrono::steady_clock::now() - state->started, state->attempt});

  std::optional<api_error> failure;
  if (!outcome) {
    failure = outcome.error();
  } else if (status < 200 || status > 299) {
    failure = api_error::from_http(status, outcome.value().body);
    if (outcome.value().retry_after_seconds)
      failure->set_retry_after_seconds(outcome.value().retry_after_seconds);
  }

  if (!failure) {
    const std::string& body = outcome.value().body;
    auto parsed = state->body == decode::metadata
                      ? nlohmann::json::parse(body, identity_only, /*allow_exceptions=*/false)
                      : parse_api_json(body);
    // Every answer of the API is an object; a read must have one (its callers index into it),
    // a write's may be empty. Anything else is a decode error, never an exception later.
    const bool read = state->verb == "get" || state->verb == "list" || state->verb == "discovery";
    if ((parsed.is_discarded() && !body.empty()) || (!body.empty() && !parsed.is_object()) ||
        (body.empty() && read)) {
      state->done(api_error(error_kind::decode, "the response to " + state->verb + " " +
                                                    state->spec.target + " is not a JSON object"));
    } else {
      state->done(body.empty() ? nlohmann::json() : std::move(parsed));
    }
    return;
  }

  // Refused with a token the file no longer holds (the transport re-read it on the 401): the
  // same request goes again at once with the new one.
  if (const auto& token = transport_.cfg().token; status == 401 && token &&
                                                  !state->reauthenticated && !inflight_->stopping &&
                                                  token->generation() != state->bearer_generation) {
    state->reauthenticated = true;
    scheduler_->post_after(std::chrono::nanoseconds(0),
                           [this, state]() mutable { run_attempt(std::move(state)); });
    return;
  }
  auto delay = std::chrono::nanoseconds(state->retry_backoff.next());
  if (failure->retry_after_seconds())
    delay = std::chrono::seconds(std::max(0, *failure->retry_after_seconds()));
  const bool in_time =
      std::chrono::steady_clock::now() + delay - state->began <= options_.max_call_duration;
  const bool retry = state->attempt < options_.max_retries && !inflight_->stopping && in_time &&
                     should_retry(*failure, state->retry_safe, state->generated_name);
  if (!retry) {
    state->done(std::move(*failure));
    return;
  }
  ++state->attempt;
  scheduler_->post_after(delay, [this, state]() mutable { run_attempt(std::move(state)); });
}

void client::get(const resource& type, const std::string& ns, const std::string& name,
                 json_callback done, const std::string& subresource, const std::string& flow) {
  start("get", {"GET", type.object_path(ns, name, subresource), {}, {}}, true, false,
        std::move(done), decode::full, flow);
}

void client::list(const resource& type, const std::string& ns, const list_options& options,
                  json_callback done) {
  start("list", {"GET", list_target(type, ns, options), {}, {}}, true, false, std::move(done));
}

void client::list_all(const resource& type, const std::string& ns, list_options options,
                      json_callback done) {
  struct pages {
    nlohmann::json items = nlohmann::json::array();
  };
  auto acc = std::make_shared<pages>();
  auto next = std::make_shared<std::function<void(result<nlohmann::json>)>>();
  // The continuation refers to itself through a weak pointer, so the chain frees itself.
  std::weak_ptr<std::function<void(result<nlohmann::json>)>> weak_next = next;
  *next = [this, type, ns, options, acc, done, weak_next](result<nlohmann::json> page) mutable {
    if (!page) return done(page.error());
    auto& list = page.value();
    if (list.contains("items") && list["items"].is_array())
      for (auto& item : list["items"]) acc->items.push_back(std::move(item));
    const std::string token = list.value("/metadata/continue"_json_pointer, std::string());
    if (token.empty()) {
      list["items"] = std::move(acc->items);
      return done(std::move(list));
    }
    options.continue_token = token;
    auto self = weak_next.lock();
    if (!self) return done(api_error(error_kind::canceled, "listing was abandoned"));
    this->list(type, ns, options, [self](result<nlohmann::json> r) { (*self)(std::move(r)); });
  };
  list(type, ns, options, [next](result<nlohmann::json> r) { (*next)(std::move(r)); });
}

void client::create(const resource& type, const std::string& ns, nlohmann::json object,
                    json_callback done, decode body, const std::string& flow) {
  const bool named = names_itself(object);
  start("create", {"POST", type.collection_path(ns), object.dump(), "application/json"}, named,
        !named, std::move(done), body, flow);
}

int client::requests_in_flight() const {
  return admission_->active.load();
}

size_t client::requests_waiting() const {
  std::lock_guard<std::mutex> lock(admission_->m);
  size_t n = 0;
  for (const auto& [flow, queue] : admission_->flows) n += queue.size();
  return n;
}

void client::create_named_text(const resource& type, const std::string& ns, std::string text,
                               json_callback done, decode body, const std::string& flow) {
  start("create", {"POST", type.collection_path(ns), std::move(text), "application/json"}, true,
        false, std::move(done), body, flow);
}

void client::replace(const resource& type, const std::string& ns, const std::string& name,
                     nlohmann::json object, json_callback done, const std::string& subresource,
                     decode body, const std::string& flow) {
  start("update",
        {"PUT", type.object_path(ns, name, subresource), object.dump(), "application/json"}, true,
        false, std::move(done), body, flow);
}

void client::patch(const resource& type, const std::string& ns, const std::string& name,
                   patch_type kind, nlohmann::json body, json_callback done,
                   const std::string& subresource, const std::string& field_manager, decode answer,
                   const std::string& flow) {
  std::vector<std::pair<std::string, std::string>> query{{"fieldManager", field_manager}};
  if (kind == patch_type::apply) query.push_back({"force", "true"});
  start("patch",
        {"PATCH", with_query(type.object_path(ns, name, subresource), query), body.dump(),
         content_type_of(kind)},
        true, false, std::move(done), answer, flow);
}

void client::remove(const resource& type, const std::string& ns, const std::string& name,
                    const delete_options& options, json_callback done, decode answer,
                    const std::string& flow) {
  nlohmann::json body{{"kind", "DeleteOptions"}, {"apiVersion", "v1"}};
  if (!options.precondition_uid.empty()) body["preconditions"]["uid"] = options.precondition_uid;
  if (!options.precondition_resource_version.empty())
    body["preconditions"]["resourceVersion"] = options.precondition_resource_version;
  if (!options.propagation_policy.empty()) body["propagationPolicy"] = options.propagation_policy;
  if (options.grace_period_seconds) body["gracePeriodSeconds"] = *options.grace_period_seconds;
  start("delete", {"DELETE", type.object_path(ns, name), body.dump(), "application/json"}, true,
        false, std::move(done), answer, flow);
}

void client::server_group_versions(std::function<void(result<std::set<std::string>>)> done) {
  start("discovery", {"GET", "/api", {}, {}}, true, false,
        [this, done](result<nlohmann::json> core) {
          if (!core) return done(core.error());
          std::set<std::string> versions;
          for (const auto& v : core.value().value("versions", nlohmann::json::array()))
            if (v.is_string()) versions.insert(v.get<std::string>());
          start("discovery", {"GET", "/apis", {}, {}}, true, false,
                [versions, done](result<nlohmann::json> groups) mutable {
                  if (!groups) return done(groups.error());
                  for (const auto& g : groups.value().value("groups", nlohmann::json::array()))
                    for (const auto& v : g.value("versions", nlohmann::json::array()))
                      if (v.contains("groupVersion") && v["groupVersion"].is_string())
                        versions.insert(v["groupVersion"].get<std::string>());
                  done(std::move(versions));
                });
        });
}

}  // namespace k8s
