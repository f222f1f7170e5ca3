#include "sandbox/fault_proxy/connections.hpp"

#include <sys/socket.h>

#include <thread>

namespace fault_proxy {

std::shared_ptr<connections::entry> connections::add(int client_fd) {
  auto e = std::make_shared<entry>();
  e->client_fd = client_fd;
  std::lock_guard<std::mutex> lock(mutex_);
  e->id = next_id_++;
  e->held = holding_;
  open_[e->id] = e;
  return e;
}

void connections::remove(const entry& e) {
  std::lock_guard<std::mutex> lock(mutex_);
  open_.erase(e.id);
}

void connections::set_upstream(entry& e, int fd) {
  std::lock_guard<std::mutex> lock(mutex_);
  e.upstream_fd = fd;
}

void connections::set_watch(entry& e, std::string resource) {
  std::lock_guard<std::mutex> lock(mutex_);
  e.watch = std::move(resource);
}

void connections::shut(entry& e) {
  // Both directions of both sockets: a session blocked in a read on either wakes with an error.
  if (e.client_fd >= 0) ::shutdown(e.client_fd, SHUT_RDWR);
  if (e.upstream_fd >= 0) ::shutdown(e.upstream_fd, SHUT_RDWR);
  ++cut_;
}

size_t connections::cut_watches(const std::string& resource) {
  std::lock_guard<std::mutex> lock(mutex_);
  size_t n = 0;
  for (auto& [id, e] : open_)
    if (!e->watch.empty() && (resource.empty() || e->watch == resource)) {
      shut(*e);
      ++n;
    }
  return n;
}

size_t connections::cut_all() {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& [id, e] : open_) shut(*e);
  return open_.size();
}

void connections::hold() {
  std::lock_guard<std::mutex> lock(mutex_);
  holding_ = true;
  ++hold_generation_;
  for (auto& [id, e] : open_) e->held = true;
}

void connections::hold_for(std::chrono::seconds seconds) {
  uint64_t generation;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    holding_ = true;
    generation = ++hold_generation_;
    for (auto& [id, e] : open_) e->held = true;
  }
  // The process lives as long as the proxy does, and so does this object.
  std::thread([this, generation, until = std::chrono::steady_clock::now() + seconds] {
    std::this_thread::sleep_until(until);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!holding_ || hold_generation_ != generation) return;  // released, or held anew
    }
    release();
  }).detach();
}

size_t connections::release() {
  size_t n = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    holding_ = false;
    for (auto& [id, e] : open_)
      if (e->held) {
        shut(*e);
        ++n;
      }
  }
  released_.notify_all();
  return n;
}

bool connections::pass(entry& e) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (!holding_ && !e.held) return true;
  e.held = true;
  released_.wait(lock, [this] { return !holding_; });
  return false;
}

connections::summary connections::status() const {
  std::lock_guard<std::mutex> lock(mutex_);
  summary s;
  s.open = open_.size();
  for (const auto& [id, e] : open_)
    if (!e->watch.empty()) ++s.watches[e->watch];
  s.holding = holding_;
  s.cut = cut_;
  s.refused = refused_;
  return s;
}

}  // namespace fault_proxy
