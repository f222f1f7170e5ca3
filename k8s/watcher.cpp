#include "k8s/watcher.hpp"

#include "k8s/rate_limiter.hpp"
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
      retry_(options_.retry_backoff) {}

watcher::~watcher() {
  stop();
}

void watcher::start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { run(); });
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

void watcher::run() {
  while (!stopping_) {
    if (state_ == state::watching)
      watch_step();
    else
      list_step();
  }
}

bool watcher::sleep_for(std::chrono::nanoseconds d) {
  std::unique_lock<std::mutex> lock(mutex_);
  return !wake_.wait_for(lock, d, [this] { return stopping_.load(); });
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
  std::unique_lock<std::mutex> lock(slot->m);
  slot->ready.wait(lock, [&] { return slot->abandoned || slot->value.has_value(); });
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
  auto opened = api_.transport().open_stream({"GET", target, {}, {}}, [this](http_stream& s) {
    std::lock_guard<std::mutex> lock(mutex_);
    stream_ = &s;
    if (stopping_) s.cancel();
  });
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
  for (;;) {
    auto line = stream->read_line();
    if (!line) {
      forget_stream();
      return fail(line.error());  // cut: resume from the last version after a backoff
    }
    if (!line.value()) break;  // the server ended the watch (its timeout): resume at once
    if (line.value()->empty()) continue;
    if (!handle_line(*line.value())) break;
  }
  forget_stream();
}

// False when the watch must end here (an ERROR event).
bool watcher::handle_line(const std::string& line) {
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
  switch (ev.kind) {
    case watch_event::type::error:
    case watch_event::type::bookmark:
      break;
    case watch_event::type::added:
    case watch_event::type::modified:
      emit(watcher_event::kind::apply, std::move(ev.object));
      break;
    case watch_event::type::deleted:
      emit(watcher_event::kind::remove, std::move(ev.object));
      break;
  }
  retry_.reset();
  return true;
}

}  // namespace k8s
