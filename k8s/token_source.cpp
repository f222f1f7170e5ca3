#include "k8s/token_source.hpp"

#include <optional>
#include <utility>

#include "k8s/config.hpp"
#include "k8s/read_file.hpp"

namespace k8s {

namespace {

std::string trim_trailing_space(std::string s) {
  s.erase(s.find_last_not_of(" \t\r\n") + 1);
  return s;
}

// A token file that is empty counts as unreadable: the kubelet writes it atomically, so empty
// means broken, and sending an empty bearer token would only earn a 401.
std::optional<std::string> read_token(const std::string& path, std::string& reason) {
  auto text = detail::read_file(path, reason);
  if (!text) return std::nullopt;
  std::string token = trim_trailing_space(std::move(*text));
  if (token.empty()) {
    reason = "the file is empty";
    return std::nullopt;
  }
  return token;
}

}  // namespace

token_source::token_source(std::string token, std::string path, std::chrono::milliseconds refresh)
    : token_(std::move(token)),
      path_(std::move(path)),
      refresh_(refresh),
      read_at_(std::chrono::steady_clock::now()) {}

std::shared_ptr<token_source> token_source::fixed(std::string token) {
  return std::shared_ptr<token_source>(
      new token_source(trim_trailing_space(std::move(token)), {}, std::chrono::milliseconds(0)));
}

std::shared_ptr<token_source> token_source::from_file(std::string path,
                                                      std::chrono::milliseconds refresh) {
  std::string reason;
  auto token = read_token(path, reason);
  if (!token) throw config_error("cannot read bearer token file " + path + ": " + reason);
  return std::shared_ptr<token_source>(
      new token_source(std::move(*token), std::move(path), refresh));
}

std::string token_source::token() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (path_.empty()) return token_;
  auto now = std::chrono::steady_clock::now();
  if (!stale_ && now - read_at_ < refresh_) return token_;
  // On failure read_at_ stays put, so the next call tries again: a rotation in progress
  // is over quickly, and its new token should be used as soon as it is readable.
  std::string reason;
  if (auto fresh = read_token(path_, reason)) {
    if (*fresh != token_) ++generation_;
    token_ = std::move(*fresh);
    read_at_ = now;
    stale_ = false;
  }
  return token_;
}

void token_source::reread() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (path_.empty()) return;
    stale_ = true;
  }
  token();
}

uint64_t token_source::generation() {
  std::lock_guard<std::mutex> lock(mutex_);
  return generation_;
}

}  // namespace k8s
