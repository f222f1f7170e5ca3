#pragma once
// What an actor has written and what came of it, one entry per object it writes (a child, the
// status, the defaults). An entry is
//
//   idle ──write──► in flight ──ok──► settling ──the watch shows it──► idle
//                       │  └──reply overdue──┐       └──settle deadline──┘
//                       └──failed──► backing off ──retry-at──► idle
//
// so a reconcile that runs before the watch reflects a write does not repeat it, a write with
// no reply is not waited for forever, and a write that keeps failing is retried less and less
// often (per object: one failing Service never slows another write down). A success resets the
// object's backoff. Versions are compared for equality only.

#include <chrono>
#include <map>
#include <optional>
#include <string>

#include "k8s/backoff.hpp"
#include "k8s/error.hpp"

namespace actors {

struct ledger_policy {
  // Between retries of one object: 1 s doubling to 5 min. A permanent error (a full address
  // range, a quota, an admission webhook's denial) ends up being tried every few minutes.
  k8s::backoff_policy retry{std::chrono::milliseconds(1'000), std::chrono::milliseconds(300'000)};
  // ... except after the server was unavailable (api_error::unavailable): then at most this, so
  // that the object is written again within seconds of the server's return.
  std::chrono::milliseconds unavailable_retry_max{3'000};
  // A reply later than this counts as an ambiguous failure (the client answers much sooner).
  std::chrono::seconds reply_timeout{150};
  // A write the watch has not shown after this long is forgotten: the watch is the truth.
  std::chrono::seconds settle_timeout{30};
};

class write_ledger {
 public:
  using time_point = std::chrono::steady_clock::time_point;
  enum class phase { idle, in_flight, settling, backing_off };

  struct entry {
    phase state = phase::idle;
    uint64_t ticket = 0;
    time_point due{};              // in flight: reply due; settling: watch due; backing off: retry
    std::string expected_version;  // settling: what the write produced
    std::string written;           // in flight and settling: what was written (e.g. a hash)
    // In flight: a version the watch showed meanwhile. The watch and the reply race; when the
    // reply names this version, the write has been seen already.
    std::string seen_in_flight;
    k8s::backoff retry;
    std::optional<k8s::api_error> last_error;  // of the last failure, until a success
  };

  explicit write_ledger(ledger_policy policy = {}) : policy_(policy) {}

  // Nothing in flight or settling for `key`, and its backoff (if any) is over.
  bool may_write(const std::string& key, time_point now) const;
  void begin(const std::string& key, uint64_t ticket, time_point now, std::string written = {});

  // The key a reply belongs to; nullopt for a ticket no longer awaited (overdue, superseded).
  std::optional<std::string> key_of(uint64_t ticket) const;
  void succeeded(uint64_t ticket, const std::string& version, time_point now);
  // Returns when the object may be written again.
  time_point failed(uint64_t ticket, k8s::api_error error, time_point now);

  // The watch shows `key` at `version`: a write waiting for it has settled.
  void observed(const std::string& key, const std::string& version);
  // Whatever is known about `key` is dropped (the object is gone, or the watch relisted).
  void forget(const std::string& key);
  // Replies overdue become ambiguous failures; settling past its deadline ends.
  void expire(time_point now);

  const entry* find(const std::string& key) const;
  bool settling(const std::string& key) const;
  bool in_flight(const std::string& key) const;
  // The object's last write failed and it waits for a retry.
  const k8s::api_error* failure(const std::string& key) const;
  // The soonest moment something here changes by itself (a deadline or a retry-at).
  std::optional<time_point> next_due() const;

 private:
  ledger_policy policy_;
  std::map<std::string, entry> entries_;
  std::map<uint64_t, std::string> tickets_;
};

}  // namespace actors
