#pragma once
// A list+watch of one resource type, as an explicit state machine:
//
//   empty ──list page──► init_page ──last page──► init_listed ──► watching ──┐
//     ▲                      │ (continue)                            │ ▲      │ stream ended or
//     └────── 410 Gone ◄─────┴───────────────────────────────────────┘ └──────┘ cut: resume from
//                                                                              the last version
//
// A (re)list reaches the consumer as `init`, one `init_apply` per object, then `init_done`, so a
// consumer can build a new view aside and swap it in at `init_done`; objects deleted while no
// watch was open simply do not appear in it. Between lists, `apply` and `remove` report changes.
// Every failure is reported to the error callback and retried after a jittered backoff.
//
// The watcher runs on its own thread (it blocks on the stream); callbacks run there, so they
// must be quick: an actor-based consumer sends itself a message and returns. The stream is read
// in whatever pieces arrive and cut into lines here, so no line length and no quiet period can
// hold an event back or occupy an HTTP I/O thread. Every wait has a deadline: a watch silent for
// longer than `progress_timeout` is cut and resumed (the watchdog), and a list that gets no
// answer within `list_timeout` is abandoned and tried again.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "k8s/backoff.hpp"
#include "k8s/client.hpp"
#include "k8s/error.hpp"
#include "k8s/resource.hpp"

namespace k8s {

struct watcher_event {
  enum class kind { init, init_apply, init_done, apply, remove };
  kind type;
  nlohmann::json object;  // null for init and init_done
};
const char* to_string(watcher_event::kind kind);

struct watcher_options {
  std::string label_selector;
  std::string field_selector;
  // Objects per list page. Pages bound the size of each response, and so the memory a relist
  // needs on both sides; 500 is client-go's and kube-rs's choice.
  int64_t page_size = 500;
  // The server ends each watch after this long and we resume from the last version seen. It is
  // kept under five minutes because load balancers commonly cut connections idle that long,
  // and a watch ended by the server resumes cleanly while a cut one looks like a failure.
  std::chrono::seconds timeout{290};
  // Bookmarks advance our resourceVersion on quiet watches, so a resume after a disconnect
  // seldom lands on a version the server no longer has (which would force a full relist).
  bool bookmarks = true;
  // The watchdog: a stream that sends nothing for this long is cut and resumed. A healthy one
  // never stays silent past `timeout` (the server ends it then), so twice that only catches a
  // stream that stalled. Zero: twice `timeout`.
  std::chrono::milliseconds progress_timeout{0};
  std::chrono::seconds list_timeout{120};
  // A failed list or watch is tried again after 0.5 s, doubling up to 3 s: once the server is
  // back, the watch sees it within 3 s (docs/reliability.md holds the operator to converging
  // within 10 s of a fault's end). Thirteen watches retrying every 3 s through an outage cost a
  // recovering server a few requests a second.
  backoff_policy retry_backoff{std::chrono::milliseconds(500), std::chrono::milliseconds(3'000)};
};

class watcher {
 public:
  enum class state { empty, init_page, init_listed, watching };

  using event_callback = std::function<void(watcher_event)>;
  using error_callback = std::function<void(const api_error&)>;

  // `ns` empty: all namespaces. The client must outlive the watcher.
  watcher(client& api, resource type, std::string ns, watcher_options options,
          event_callback on_event, error_callback on_error = {});
  ~watcher();
  watcher(const watcher&) = delete;
  watcher& operator=(const watcher&) = delete;

  void start();
  void stop();  // idempotent; returns once the thread has ended and no callback runs any more

  bool synced() const { return synced_; }                      // a first list completed
  uint64_t relists() const { return relists_; }                // lists after the first
  uint64_t watch_restarts() const { return watch_restarts_; }  // watches opened after the first
  uint64_t events() const { return events_; }  // added, modified and deleted events watched
  std::string resource_version() const;
  // When an event (bookmarks included) or a complete list last arrived; the epoch before any.
  std::chrono::steady_clock::time_point last_event() const;
  // Whether the thread is past the deadline of what it waits for: every wait has one, so this
  // means the watch is wedged and no watchdog of its own can recover it.
  bool stuck(std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now()) const;
  const resource& type() const { return type_; }
  const std::string& scope() const { return ns_; }

 private:
  void run();
  void list_step();
  void watch_step();
  bool handle_line(std::string_view line);
  void note_event();
  // Marks the thread as waiting until `deadline` (plus a grace); time_point{} when not waiting.
  void waiting_until(std::chrono::steady_clock::time_point deadline);
  result<nlohmann::json> list_page(const std::string& continue_token);
  bool sleep_for(std::chrono::nanoseconds d);  // false when stopped meanwhile
  void fail(const api_error& e);
  void emit(watcher_event::kind kind, nlohmann::json object = nullptr);

  client& api_;
  resource type_;
  std::string ns_;
  watcher_options options_;
  event_callback on_event_;
  error_callback on_error_;

  state state_ = state::empty;
  std::string continue_token_;
  backoff retry_;
  bool first_list_done_ = false;
  bool first_watch_opened_ = false;

  struct pending_list {
    std::mutex m;
    std::condition_variable ready;
    std::optional<result<nlohmann::json>> value;
    bool abandoned = false;
  };

  mutable std::mutex mutex_;  // guards resource_version_, stream_, pending_, stop wake-ups
  std::condition_variable wake_;
  std::string resource_version_;
  http_stream* stream_ = nullptr;
  std::shared_ptr<pending_list> pending_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> synced_{false};
  std::atomic<uint64_t> relists_{0};
  std::atomic<uint64_t> watch_restarts_{0};
  std::atomic<uint64_t> events_{0};
  std::atomic<int64_t> last_event_ns_{0};     // steady clock, ns since its epoch
  std::atomic<int64_t> wait_deadline_ns_{0};  // 0: not waiting
  std::thread thread_;
};

}  // namespace k8s
