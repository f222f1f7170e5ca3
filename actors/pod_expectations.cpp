#include "actors/pod_expectations.hpp"

namespace actors {

void pod_expectations::create_sent(const std::string& name, time_point now) {
  creates_[name] = {state::in_flight, now + seen_timeout_};
}

void pod_expectations::create_succeeded(const std::string& name, time_point now) {
  auto it = creates_.find(name);
  if (it == creates_.end()) return;  // the watch showed it first
  it->second = {state::created, now + seen_timeout_};
}

void pod_expectations::create_refused(const std::string& name) {
  creates_.erase(name);
}

void pod_expectations::create_unsure(const std::string& name, time_point now) {
  auto it = creates_.find(name);
  if (it == creates_.end()) return;
  it->second = {state::unsure, now + seen_timeout_};
}

void pod_expectations::observed(const std::string& name) {
  creates_.erase(name);
}

void pod_expectations::delete_sent(const std::string& name, time_point now) {
  deletes_[name] = now + seen_timeout_;
}

void pod_expectations::delete_done(const std::string& name) {
  deletes_.erase(name);
}

size_t pod_expectations::in_flight() const {
  size_t n = 0;
  for (const auto& [name, c] : creates_) n += c.st == state::in_flight;
  return n;
}

std::vector<std::string> pod_expectations::unsure() const {
  std::vector<std::string> out;
  for (const auto& [name, c] : creates_)
    if (c.st == state::unsure) out.push_back(name);
  return out;
}

void pod_expectations::expire(time_point now) {
  // An unsure create never expires: only the watch or a read may end it. An in-flight one
  // waits for its reply, which the port guarantees.
  for (auto it = creates_.begin(); it != creates_.end();)
    it = it->second.st == state::created && it->second.due <= now ? creates_.erase(it)
                                                                  : std::next(it);
  for (auto it = deletes_.begin(); it != deletes_.end();)
    it = it->second <= now ? deletes_.erase(it) : std::next(it);
}

std::optional<pod_expectations::time_point> pod_expectations::next_due() const {
  std::optional<time_point> soonest;
  auto consider = [&](time_point t) {
    if (!soonest || t < *soonest) soonest = t;
  };
  for (const auto& [name, c] : creates_)
    if (c.st == state::created) consider(c.due);
  for (const auto& [name, due] : deletes_) consider(due);
  return soonest;
}

}  // namespace actors
