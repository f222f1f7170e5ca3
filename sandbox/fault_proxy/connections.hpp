#pragma once
// The fault proxy's open connections, so that a command can act on them: cut the watches (of
// one resource, or all), cut everything, refuse new connections, or hold every connection
// without an answer (a blackhole) until released.
//
// A connection's sockets are shut down here, from the control thread, only while it is
// registered: its session unregisters it before closing them, under the same lock, so a
// descriptor number never names another connection's socket by the time it is shut down.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace fault_proxy {

class connections {
 public:
  struct entry {
    uint64_t id = 0;
    int client_fd = -1;
    int upstream_fd = -1;  // -1 while it has none
    std::string watch;     // the resource of the watch it is relaying, "" if none
    bool held = false;     // lived through a blackhole: cut when it ends
  };

  std::shared_ptr<entry> add(int client_fd);
  void remove(const entry& e);
  void set_upstream(entry& e, int fd);
  void set_watch(entry& e, std::string resource);

  // Cuts the open watch streams of `resource` ("": of every resource); how many.
  size_t cut_watches(const std::string& resource);
  // Cuts every open connection; how many.
  size_t cut_all();

  void refuse(bool on) { refusing_ = on; }
  bool refusing() const { return refusing_; }

  // A blackhole: every connection open now, and every one opened until `release`, gets no
  // byte through in either direction. `hold_for` ends it by itself after `seconds`.
  void hold();
  void hold_for(std::chrono::seconds seconds);
  // Ends a blackhole: every connection that lived through it is cut (what it held is never
  // delivered, as after a partition long enough for the peers to give up). How many.
  size_t release();

  // Whether a session may pass its next bytes on: true at once when nothing is held; during a
  // blackhole it waits for the release and returns false (the session then closes).
  bool pass(entry& e);

  struct summary {
    size_t open = 0;
    std::map<std::string, size_t> watches;  // by resource
    bool holding = false;
    int64_t cut = 0;      // connections cut by commands so far
    int64_t refused = 0;  // connections closed at once while refusing
  };
  summary status() const;
  void count_refused() { ++refused_; }

 private:
  void shut(entry& e);  // the caller holds mutex_

  mutable std::mutex mutex_;
  std::condition_variable released_;
  std::map<uint64_t, std::shared_ptr<entry>> open_;
  uint64_t next_id_ = 1;
  bool holding_ = false;
  uint64_t hold_generation_ = 0;
  std::atomic<bool> refusing_{false};
  int64_t cut_ = 0;
  std::atomic<int64_t> refused_{0};
};

}  // namespace fault_proxy
