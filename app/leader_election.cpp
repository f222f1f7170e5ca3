#include "app/leader_election.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <ctime>
#include <iomanip>
#include <random>
#include <sstream>

#include "k8s/thread_name.hpp"

namespace app {

namespace {

// A Kubernetes MicroTime: RFC 3339 with microseconds, UTC.
std::string micro_time_now() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  const auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count() %
      1'000'000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::ostringstream out;
  out << std::put_time(&tm, "%Y-%m-%dT%H:%M:%S") << "." << std::setw(6) << std::setfill('0')
      << micros << "Z";
  return out.str();
}

}  // namespace

std::string default_identity() {
  if (const char* pod = std::getenv("POD_NAME"); pod && *pod) return pod;
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  std::mt19937 rng{std::random_device{}()};
  std::ostringstream out;
  out << host << "_" << std::hex << rng();
  return out.str();
}

leader_elector::leader_elector(k8s::client& api, leader_election_options options)
    : api_(api), options_(std::move(options)) {
  if (options_.identity.empty()) options_.identity = default_identity();
}

leader_elector::~leader_elector() {
  stop();
}

void leader_elector::start(std::function<void()> on_elected, std::function<void()> on_lost) {
  on_elected_ = std::move(on_elected);
  on_lost_ = std::move(on_lost);
  thread_ = std::thread([this] {
    k8s::name_this_thread("leader-election");
    run();
  });
}

void leader_elector::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (leading_) release();
  leading_ = false;
}

bool leader_elector::sleep(std::chrono::milliseconds d) {
  std::unique_lock<std::mutex> lock(mutex_);
  return !wake_.wait_for(lock, d, [this] { return stopping_.load(); });
}

std::optional<k8s::result<nlohmann::json>> leader_elector::call(
    const std::function<void(k8s::client::json_callback)>& start, time_point deadline) {
  // Shared with the callback, which may come after we stopped waiting.
  struct slot {
    std::mutex m;
    std::condition_variable ready;
    std::optional<k8s::result<nlohmann::json>> value;
  };
  auto s = std::make_shared<slot>();
  start([s](k8s::result<nlohmann::json> r) {
    std::lock_guard<std::mutex> lock(s->m);
    s->value.emplace(std::move(r));
    s->ready.notify_all();
  });
  std::unique_lock<std::mutex> lock(s->m);
  s->ready.wait_until(lock, deadline, [&] { return s->value.has_value() || stopping_.load(); });
  return std::move(s->value);
}

void leader_elector::run() {
  spdlog::info("leader election: {} runs for Lease {}/{}", options_.identity, options_.ns,
               options_.name);
  time_point last_renewal{};
  bool waiting_logged = false;
  while (!stopping_) {
    const time_point attempt = std::chrono::steady_clock::now();
    // A leader waits no later than its renew deadline, whatever is in flight.
    time_point deadline = attempt + options_.attempt_timeout;
    if (leading_) deadline = std::min(deadline, last_renewal + options_.renew_deadline);
    const bool held = try_acquire_or_renew(deadline);
    if (stopping_) return;
    if (held) {
      last_renewal = attempt;
      if (!leading_) {
        leading_ = true;
        spdlog::info("leader election: {} is now the leader", options_.identity);
        if (on_elected_) on_elected_();
      }
    } else if (leading_ && (taken_over_ || std::chrono::steady_clock::now() >=
                                               last_renewal + options_.renew_deadline)) {
      // Stop before the lease can expire and a standby can start writing.
      leading_ = false;
      if (taken_over_)
        spdlog::error("leader election: {} found Lease {}/{} held by another; stepping down",
                      options_.identity, options_.ns, options_.name);
      else
        spdlog::error("leader election: {} could not renew Lease {}/{} within {} s; stepping down",
                      options_.identity, options_.ns, options_.name,
                      options_.renew_deadline.count());
      if (on_lost_) on_lost_();
      return;
    } else if (!leading_ && !waiting_logged) {
      waiting_logged = true;
      std::string holder;
      if (observed_.is_object())
        holder = observed_.value("/spec/holderIdentity"_json_pointer, std::string());
      spdlog::info("leader election: {} is waiting to lead ({} holds the Lease)", options_.identity,
                   holder.empty() ? std::string("nobody") : holder);
    }
    auto pause = std::chrono::duration_cast<std::chrono::milliseconds>(options_.retry_period);
    if (leading_) {
      // Wake at the deadline at the latest, to step down on time.
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          last_renewal + options_.renew_deadline - std::chrono::steady_clock::now());
      pause = std::max(std::chrono::milliseconds(0), std::min(pause, left));
    }
    if (!sleep(pause)) return;
  }
}

bool leader_elector::try_acquire_or_renew(time_point deadline) {
  const auto& leases = k8s::resources::leases;
  auto got = call([&](auto cb) { api_.get(leases, options_.ns, options_.name, cb); }, deadline);
  if (!got) {
    spdlog::warn("leader election: no answer reading the Lease in time");
    return false;
  }
  const std::string now = micro_time_now();
  nlohmann::json spec{{"holderIdentity", options_.identity},
                      {"leaseDurationSeconds", options_.lease_duration.count()},
                      {"renewTime", now}};
  if (!*got) {
    if (got->error().kind() != k8s::error_kind::not_found) {
      spdlog::warn("leader election: reading the Lease failed: {}", got->error().describe());
      return false;
    }
    spec["acquireTime"] = now;
    spec["leaseTransitions"] = 0;
    nlohmann::json lease{{"apiVersion", "coordination.k8s.io/v1"},
                         {"kind", "Lease"},
                         {"metadata", {{"name", options_.name}, {"namespace", options_.ns}}},
                         {"spec", spec}};
    auto created = call([&](auto cb) { api_.create(leases, options_.ns, lease, cb); }, deadline);
    if (created && !*created)
      spdlog::warn("leader election: creating the Lease failed: {}", created->error().describe());
    return created && created->ok();
  }
  nlohmann::json lease = std::move(got->value());
  const std::string rv = lease.value("/metadata/resourceVersion"_json_pointer, std::string());
  if (rv != observed_rv_) {
    observed_rv_ = rv;
    observed_at_ = std::chrono::steady_clock::now();
  }
  observed_ = lease;
  const std::string holder = lease.value("/spec/holderIdentity"_json_pointer, std::string());
  const int64_t duration = lease.value("/spec/leaseDurationSeconds"_json_pointer,
                                       int64_t{options_.lease_duration.count()});
  const bool expired =
      std::chrono::steady_clock::now() - observed_at_ > std::chrono::seconds(duration);
  if (holder != options_.identity && !holder.empty() && !expired) {
    if (leading_) taken_over_ = true;  // someone else holds it: we are not the leader
    return false;
  }

  const int64_t transitions = lease.value("/spec/leaseTransitions"_json_pointer, int64_t{0});
  if (holder != options_.identity) {
    spec["acquireTime"] = now;
    spec["leaseTransitions"] = transitions + 1;
  } else {
    spec["acquireTime"] = lease.value("/spec/acquireTime"_json_pointer, now);
    spec["leaseTransitions"] = transitions;
  }
  lease["spec"] = spec;
  // The resourceVersion makes this a compare-and-swap: of two candidates only one wins.
  auto updated =
      call([&](auto cb) { api_.replace(leases, options_.ns, options_.name, lease, cb); }, deadline);
  if (!updated || !*updated) return false;
  observed_rv_ = updated->value().value("/metadata/resourceVersion"_json_pointer, std::string());
  observed_at_ = std::chrono::steady_clock::now();
  observed_ = updated->value();
  return true;
}

void leader_elector::release() {
  nlohmann::json lease = observed_;
  if (!lease.is_object() ||
      lease.value("/spec/holderIdentity"_json_pointer, std::string()) != options_.identity)
    return;
  lease["spec"]["holderIdentity"] = nullptr;
  lease["spec"]["leaseDurationSeconds"] = 1;
  lease["spec"]["renewTime"] = micro_time_now();
  // Stopping is set by now: wait for the answer without it cutting the wait short.
  stopping_ = false;
  auto r = call(
      [&](auto cb) { api_.replace(k8s::resources::leases, options_.ns, options_.name, lease, cb); },
      std::chrono::steady_clock::now() + options_.attempt_timeout);
  stopping_ = true;
  if (r && *r) spdlog::info("leader election: released Lease {}/{}", options_.ns, options_.name);
}

}  // namespace app
