#include "k8s/watcher.hpp"

#include "k8s/rate_limiter.hpp"
#include "k8s/thread_name.hpp"
#include "k8s/watch_event.hpp"

namespace k8s {

const char* to_string(watcher_event::kind kind) {
  switch (kind) {
    case watcher_event::kind::init:
      return "init";
    case watcher_event::kind::init_apply:
      return "init_apply";
    case watcher_event::kind::init_done:
      return "init_done";
    case watcher_event::kind::apply:
      return "apply";
    case watcher_event::kind::remove:
      return "remove";
  }
  return "unknown";
}

watcher::watcher(client& api, resource type, std::string ns, watcher_options options,
                 event_callback on_event, error_callback on_error)
    : api_(api),
      type_(std::move(type)),
      ns_(std::move(ns)),
      options_(std::move(options)),
      on_event_(std::move(on_event)),
      on_error_(std::move(on_error)),
      retry_(options_.retry_backoff) {
  if (options_.progress_timeout <= std::chrono::milliseconds::zero())
    options_.progress_timeout = 2 * options_.timeout;
}

watcher::~watcher() {
  stop();
}

void watcher::start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] {
    name_this_thread("watch-" + type_.plural);
    run();
  });
}

void watcher::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    if (stream_) stream_->cancel();
    if (pending_) {
      std::lock_guard<std::mutex> slot_lock(pending_->m);
      pending_->abandoned = true;
      pending_->ready.notify_all();
    }
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::string watcher::resource_version() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return resource_version_;
}

namespace {

using steady = std::chrono::steady_clock;

int64_t ns_of(steady::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

// Scheduling and callbacks add to every wait; a thread this late past its deadline is wedged.
constexpr std::chrono::seconds stuck_grace{30};

}  // namespace

steady::time_point watcher::last_event() const {
  return steady::time_point(std::chrono::nanoseconds(last_event_ns_.load()));
}

bool watcher::stuck(steady::time_point now) const {
  const int64_t deadline = wait_deadline_ns_.load();
  return deadline != 0 && ns_of(now) > deadline + std::chrono::nanoseconds(stuck_grace).count();
}

void watcher::note_event() {
  last_event_ns_ = ns_of(steady::now());
}

void watcher::waiting_until(steady::time_point deadline) {
  wait_deadline_ns_ = deadline == steady::time_point{} ? 0 : ns_of(deadline);
}

void watcher::run() {
  while (!stopping_) {
    if (state_ == state::watching)
      watch_step();
    else
      list_step();
  }
}

bool watcher::sleep_for(std::chrono::nanoseconds d) {
  waiting_until(steady::now() + d);
  std::unique_lock<std::mutex> lock(mutex_);
  const bool stopped = wake_.wait_for(lock, d, [this] { return stopping_.load(); });
  waiting_until({});
  return !stopped;
}

void watcher::emit(watcher_event::kind kind, nlohmann::json object) {
  if (!stopping_) on_event_({kind, std::move(object)});
}

void watcher::fail(const api_error& e) {
  if (stopping_) return;
  if (on_error_) on_error_(e);
  // A 410 is not a failure to back off from: the history is gone and the cure, a relist, can
  // start at once (after an API server restart every resume gets one, and waiting out a
  // backoff grown during the outage would only delay recovery).
  if (e.kind() == error_kind::gone && state_ == state::empty) return;
  sleep_for(retry_.next());
}

result<nlohmann::json> watcher::list_page(const std::string& continue_token) {
  if (!sleep_for(api_.limiter().reserve()))
    return api_error(error_kind::canceled, "the watcher stopped");
  list_options o;
  o.label_selector = options_.label_selector;
  o.field_selector = options_.field_selector;
  o.limit = options_.page_size;
  o.continue_token = continue_token;
  // The callback may run after this watcher is gone (stopped mid-list), so it touches only
  // the shared slot, never the watcher.
  auto slot = std::make_shared<pending_list>();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) return api_error(error_kind::canceled, "the watcher stopped");
    pending_ = slot;
  }
  api_.list(type_, ns_, o, [slot](result<nlohmann::json> r) {
    std::lock_guard<std::mutex> lock(slot->m);
    slot->value.emplace(std::move(r));
    slot->ready.notify_all();
  });
  const auto deadline = steady::now() + options_.list_timeout;
  waiting_until(deadline);
  std::unique_lock<std::mutex> lock(slot->m);
  const bool answered = slot->ready.wait_until(
      lock, deadline, [&] { return slot->abandoned || slot->value.has_value(); });
  waiting_until({});
  if (!answered)
    return api_error(error_kind::timeout, "listing " + type_.plural + " got no answer within " +
                                              std::to_string(options_.list_timeout.count()) + " s");
  if (!slot->value) return api_error(error_kind::canceled, "the watcher stopped");
  return std::move(*slot->value);
}

void watcher::list_step() {
  if (state_ == state::empty) {
    continue_token_.clear();
    if (first_list_done_) ++relists_;
    emit(watcher_event::kind::init);
    state_ = state::init_page;
  }
  auto page = list_page(continue_token_);
  if (stopping_) return;
  if (!page) {
    // An expired continue token (410) cannot be resumed; any other failure restarts the
    // listing too, and the consumer discards the partial view at the next `init`.
    state_ = state::empty;
    return fail(page.error());
  }
  auto& list = page.value();
  for (auto& item : list.value("items", nlohmann::json::array())) {
    // A List's items omit kind and apiVersion; consumers get whole objects.
    if (!item.contains("kind")) item["kind"] = type_.kind;
    if (!item.contains("apiVersion")) item["apiVersion"] = type_.api_version();
    emit(watcher_event::kind::init_apply, std::move(item));
  }
  continue_token_ = list.value("/metadata/continue"_json_pointer, std::string());
  if (!continue_token_.empty()) return;  // stay in init_page for the next page
  state_ = state::init_listed;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    resource_version_ = list.value("/metadata/resourceVersion"_json_pointer, std::string());
  }
  first_list_done_ = true;
  synced_ = true;
  note_event();
  emit(watcher_event::kind::init_done);
  retry_.reset();
  state_ = state::watching;
}

void watcher::watch_step() {
  if (!sleep_for(api_.limiter().reserve())) return;
  std::string target = type_.collection_path(ns_) + "?watch=true";
  const auto add = [&target](const char* key, const std::string& value) {
    if (!value.empty()) target += std::string("&") + key + "=" + url_encode(value);
  };
  add("resourceVersion", resource_version());
  add("allowWatchBookmarks", options_.bookmarks ? "true" : "");
  add("timeoutSeconds", std::to_string(options_.timeout.count()));
  add("labelSelector", options_.label_selector);
  add("fieldSelector", options_.field_selector);

  if (first_watch_opened_) ++watch_restarts_;
  first_watch_opened_ = true;
  const auto headers_due = steady::now() + options_.list_timeout;
  waiting_until(headers_due);
  auto opened =
      api_.transport().open_stream({"GET", target, {}, {}}, headers_due, [this](http_stream& s) {
        std::lock_guard<std::mutex> lock(mutex_);
        stream_ = &s;
        if (stopping_) s.cancel();
      });
  waiting_until({});
  const auto forget_stream = [this] {
    std::lock_guard<std::mutex> lock(mutex_);
    stream_ = nullptr;
  };
  if (!opened) {
    forget_stream();
    if (opened.error().kind() == error_kind::gone) state_ = state::empty;
    return fail(opened.error());
  }
  auto stream = std::move(opened.value());
  // Open: the server is back. A quiet kind's watch sees no event to reset the backoff with, and
  // must not carry a backoff grown in an outage into the next cut.
  retry_.reset();
  watch_line_splitter lines;
  for (;;) {
    // The watchdog: silence past the deadline cuts the stream, whatever the I/O threads do.
    const auto deadline = steady::now() + options_.progress_timeout;
    waiting_until(deadline);
    auto chunk = stream->read_some(deadline);
    waiting_until({});
    if (!chunk) {
      api_error e = chunk.error();
      if (e.kind() == error_kind::timeout) {
        stream->cancel();
        e = api_error(error_kind::timeout,
                      "the " + type_.plural + " watch sent nothing for " +
                          std::to_string(options_.progress_timeout.count() / 1000) +
                          " s; cutting it and resuming");
      }
      forget_stream();
      return fail(e);  // cut: resume from the last version after a backoff
    }
    if (!chunk.value()) {
      // The server ended the watch (its timeout): resume at once, unless it stopped mid-event.
      if (lines.pending().empty()) break;
      forget_stream();
      return fail(api_error(error_kind::transport,
                            "the " + type_.plural + " watch ended in the middle of an event"));
    }
    bool go_on = true;
    lines.feed(*chunk.value(), [&](std::string_view line) {
      if (go_on) go_on = handle_line(line);
    });
    if (!go_on) break;
  }
  forget_stream();
}

// False when the watch must end here (an ERROR event).
bool watcher::handle_line(std::string_view line) {
  auto parsed = parse_watch_line(line);
  if (!parsed) {
    fail(parsed.error());
    return false;
  }
  auto& ev = parsed.value();
  if (ev.kind == watch_event::type::error) {
    const api_error e = error_of(ev);
    if (e.kind() == error_kind::gone) state_ = state::empty;  // history compacted: relist
    fail(e);
    return false;
  }
  // The version moves before the consumer hears of the event, so resource_version() never
  // lags what a consumer has already seen.
  const std::string rv = ev.object.value("/metadata/resourceVersion"_json_pointer, std::string());
  if (!rv.empty()) {
    std::lock_guard<std::mutex> lock(mutex_);
    resource_version_ = rv;
  }
  note_event();
  switch (ev.kind) {
    case watch_event::type::error:
    case watch_event::type::bookmark:
      break;
    case watch_event::type::added:
    case watch_event::type::modified:
      ++events_;
      emit(watcher_event::kind::apply, std::move(ev.object));
      break;
    case watch_event::type::deleted:
      ++events_;
      emit(watcher_event::kind::remove, std::move(ev.object));
      break;
  }
  retry_.reset();
  return true;
}

}  // namespace k8s
