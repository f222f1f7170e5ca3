#pragma once
// Leader election on a coordination.k8s.io/v1 Lease, as client-go does it: only the holder
// reconciles; a standby takes over once the lease has gone unrenewed for its duration; a
// leader that cannot renew within the renew deadline (shorter than the lease) stops before its
// lease can expire, so there are never two writers.
//
// It runs on a client of its own — its own small token bucket, no retries, a short timeout —
// so a busy reconciler never delays a renewal. And the renew deadline is kept by the clock, not
// by the calls: every wait for an answer ends at the deadline, so a leader whose API server has
// gone silent steps down the moment the deadline passes, with its call still in flight. The
// deadline runs from when the last successful renewal was *sent*: the standby measures the
// lease from when it saw that renewal, which is never earlier.
//
// Expiry is judged by when *we* last saw the Lease change, never by comparing our clock with
// the holder's renewTime: clocks on different machines disagree.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "k8s/client.hpp"

namespace app {

struct leader_election_options {
  std::string ns;
  std::string name = "ray-operator-leader";
  std::string identity;
  std::chrono::seconds lease_duration{15};
  std::chrono::seconds renew_deadline{10};
  std::chrono::seconds retry_period{2};
  // The longest one attempt (a read and a write) is waited for, well under the renew deadline.
  std::chrono::seconds attempt_timeout{4};
};

class leader_elector {
 public:
  leader_elector(k8s::client& api, leader_election_options options);
  ~leader_elector();

  // `api` should be the election's own client (see above); it must outlive the elector.
  // Runs for leadership in the background. `on_elected` is called once when this process
  // becomes leader; `on_lost` once if it then fails to renew within the renew deadline.
  void start(std::function<void()> on_elected, std::function<void()> on_lost);
  // Stops; a leader gives the lease up so a standby can take over at once.
  void stop();
  bool leading() const { return leading_; }
  const std::string& identity() const { return options_.identity; }

 private:
  using time_point = std::chrono::steady_clock::time_point;
  void run();
  // Whether we hold the Lease now; false also when `deadline` passed without an answer.
  bool try_acquire_or_renew(time_point deadline);
  std::optional<k8s::result<nlohmann::json>> call(
      const std::function<void(k8s::client::json_callback)>& start, time_point deadline);
  bool sleep(std::chrono::milliseconds d);
  void release();

  k8s::client& api_;
  leader_election_options options_;
  std::function<void()> on_elected_;
  std::function<void()> on_lost_;
  std::atomic<bool> leading_{false};
  bool taken_over_ = false;  // the Lease showed another holder while we led
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;
  std::condition_variable wake_;
  std::thread thread_;
  // What we last saw of the Lease, and when (local steady clock).
  std::string observed_rv_;
  std::chrono::steady_clock::time_point observed_at_{};
  nlohmann::json observed_;
};

// The identity to run under: $POD_NAME, else the host name plus a random suffix.
std::string default_identity();

}  // namespace app
