#pragma once
// Bearer tokens. Projected service-account tokens are rotated by the kubelet (bound tokens live
// about an hour), so a token that comes from a file is re-read from disk whenever the last read
// is older than the refresh interval: a rewritten file is picked up without a restart.

#include <chrono>
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

 private:
  token_source(std::string token, std::string path, std::chrono::milliseconds refresh);
  std::mutex mutex_;
  std::string token_;
  std::string path_;  // empty for a fixed token
  std::chrono::milliseconds refresh_;
  std::chrono::steady_clock::time_point read_at_;
};

}  // namespace k8s
