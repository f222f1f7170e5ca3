#pragma once
// Bearer tokens. Projected service-account tokens are rotated by the kubelet (bound tokens live
// about an hour), so a token that comes from a file is re-read from disk whenever the last read
// is older than the refresh interval: a rewritten file is picked up without a restart.

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

namespace k8s {

class token_source {
 public:
  // Re-read at least this often; client-go and Ray's autoscaler use one minute too.
  static constexpr std::chrono::seconds default_refresh{60};

  static std::shared_ptr<token_source> fixed(std::string token);
  static std::shared_ptr<token_source> from_file(
      std::string path, std::chrono::milliseconds refresh = default_refresh);

  // The current token, trailing whitespace removed. Thread-safe. When a re-read fails, the last
  // good token is kept (the file may be mid-rotation); the first read failing throws config_error.
  std::string token();
  const std::string& path() const { return path_; }
  // Reads the file now, whatever the refresh interval says: the server refused the token (401),
  // and a token rotated on disk and revoked at the server must not be sent for another minute.
  void reread();
  // Counts the changes of the token: a caller that sent one can tell whether a retry would send
  // another.
  uint64_t generation();

 private:
  token_source(std::string token, std::string path, std::chrono::milliseconds refresh);
  std::mutex mutex_;
  std::string token_;
  std::string path_;  // empty for a fixed token
  std::chrono::milliseconds refresh_;
  std::chrono::steady_clock::time_point read_at_;
  uint64_t generation_ = 0;
  bool stale_ = false;  // read again at the next call, whatever the interval says
};

}  // namespace k8s
