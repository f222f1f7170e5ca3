#pragma once
// A worker group's expectations (KubeRay's and controller-runtime's idea): the creates and
// deletes it has made that the watch does not show yet, so a reconcile on a stale view never
// creates a pod twice, never replaces a pod it just deleted, and never takes a pod it is still
// creating for a surplus.
//
// The group names its pods itself (the prefix KubeRay's generateName gives, plus five random
// characters), so every expectation is about one known name:
//   - in flight: the create is sent, no answer yet;
//   - created: the server said yes; the watch will show it (or it was deleted meanwhile: the
//     expectation ends after `seen_timeout`);
//   - unsure: no definite answer (a timeout, a cut connection, a 5xx). The name stays reserved
//     and counts as a pod until the watch shows it or a read of that name says it does not
//     exist; only then may a replacement be created.
// Deletes are expected until the watch shows the pod terminating or gone.

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace actors {

class pod_expectations {
 public:
  using time_point = std::chrono::steady_clock::time_point;
  explicit pod_expectations(std::chrono::seconds seen_timeout = std::chrono::seconds(60))
      : seen_timeout_(seen_timeout) {}

  void create_sent(const std::string& name, time_point now);
  void create_succeeded(const std::string& name, time_point now);
  // A definite "no" (4xx, or a read found no such pod) ends the expectation.
  void create_refused(const std::string& name);
  // No definite answer: the pod may exist. Resolved by the watch or by a read.
  void create_unsure(const std::string& name, time_point now);
  // The watch shows the pod: whatever was expected of its create is met.
  void observed(const std::string& name);

  void delete_sent(const std::string& name, time_point now);
  void delete_done(const std::string& name);  // seen terminating, gone, or refused

  // Pods that may exist but are not in the group's view yet.
  size_t expected_pods() const { return creates_.size(); }
  // No create without a definite outcome seen: what the view shows is every pod there is.
  bool creates_settled() const { return creates_.empty(); }
  bool deleting(const std::string& name) const { return deletes_.count(name) != 0; }
  size_t in_flight() const;
  // Names whose create had no definite answer, to be settled by a read.
  std::vector<std::string> unsure() const;
  // Expectations past their time end: created but never seen, deletes never seen.
  void expire(time_point now);
  std::optional<time_point> next_due() const;

 private:
  enum class state { in_flight, created, unsure };
  struct create {
    state st;
    time_point due;
  };
  std::chrono::seconds seen_timeout_;
  std::map<std::string, create> creates_;
  std::map<std::string, time_point> deletes_;
};

}  // namespace actors
