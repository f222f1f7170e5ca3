#include "actors/write_ledger.hpp"

#include <algorithm>

namespace actors {

bool write_ledger::may_write(const std::string& key, time_point now) const {
  auto it = entries_.find(key);
  if (it == entries_.end()) return true;
  switch (it->second.state) {
    case phase::idle:
      return true;
    case phase::in_flight:
    case phase::settling:
      return false;
    case phase::backing_off:
      return now >= it->second.due;
  }
  return true;
}

void write_ledger::begin(const std::string& key, uint64_t ticket, time_point now,
                         std::string written) {
  auto [it, added] = entries_.try_emplace(key);
  entry& e = it->second;
  if (added) e.retry = k8s::backoff(policy_.retry);
  if (e.ticket) tickets_.erase(e.ticket);
  e.state = phase::in_flight;
  e.ticket = ticket;
  e.due = now + policy_.reply_timeout;
  e.written = std::move(written);
  e.expected_version.clear();
  e.seen_in_flight.clear();
  tickets_[ticket] = key;
}

std::optional<std::string> write_ledger::key_of(uint64_t ticket) const {
  auto it = tickets_.find(ticket);
  if (it == tickets_.end()) return std::nullopt;
  return it->second;
}

void write_ledger::succeeded(uint64_t ticket, const std::string& version, time_point now) {
  auto t = tickets_.find(ticket);
  if (t == tickets_.end()) return;
  entry& e = entries_[t->second];
  tickets_.erase(t);
  e.ticket = 0;
  e.retry.reset();
  e.last_error.reset();
  e.state = !version.empty() && version == e.seen_in_flight ? phase::idle : phase::settling;
  e.expected_version = version;
  e.seen_in_flight.clear();
  e.due = now + policy_.settle_timeout;
}

write_ledger::time_point write_ledger::failed(uint64_t ticket, k8s::api_error error,
                                              time_point now) {
  auto t = tickets_.find(ticket);
  if (t == tickets_.end()) return now;
  entry& e = entries_[t->second];
  tickets_.erase(t);
  e.ticket = 0;
  e.state = phase::backing_off;
  e.written.clear();
  auto delay = e.retry.next();
  if (error.unavailable()) delay = std::min(delay, policy_.unavailable_retry_max);
  e.due = now + delay;
  e.last_error = std::move(error);
  return e.due;
}

void write_ledger::observed(const std::string& key, const std::string& version) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return;
  if (it->second.state == phase::in_flight) it->second.seen_in_flight = version;
  if (it->second.state != phase::settling) return;
  if (it->second.expected_version.empty() || it->second.expected_version == version)
    it->second.state = phase::idle;
}

void write_ledger::forget(const std::string& key) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return;
  // A write still in flight keeps its entry: its reply must still be recognised.
  if (it->second.state == phase::in_flight) return;
  if (it->second.state == phase::settling) it->second.state = phase::idle;
}

void write_ledger::expire(time_point now) {
  for (auto& [key, e] : entries_) {
    if (e.due > now) continue;
    if (e.state == phase::in_flight) {
      tickets_.erase(e.ticket);
      e.ticket = 0;
      e.state = phase::backing_off;
      e.written.clear();
      e.last_error = k8s::api_error(k8s::error_kind::timeout, "no reply to the write in time");
      e.due = now + e.retry.next();
    } else if (e.state == phase::settling) {
      e.state = phase::idle;
    }
  }
}

const write_ledger::entry* write_ledger::find(const std::string& key) const {
  auto it = entries_.find(key);
  return it == entries_.end() ? nullptr : &it->second;
}

bool write_ledger::settling(const std::string& key) const {
  const entry* e = find(key);
  return e && e->state == phase::settling;
}

bool write_ledger::in_flight(const std::string& key) const {
  const entry* e = find(key);
  return e && e->state == phase::in_flight;
}

const k8s::api_error* write_ledger::failure(const std::string& key) const {
  const entry* e = find(key);
  return e && e->state == phase::backing_off && e->last_error ? &*e->last_error : nullptr;
}

std::optional<write_ledger::time_point> write_ledger::next_due() const {
  std::optional<time_point> soonest;
  for (const auto& [key, e] : entries_) {
    if (e.state == phase::idle) continue;
    if (!soonest || e.due < *soonest) soonest = e.due;
  }
  return soonest;
}

}  // namespace actors
