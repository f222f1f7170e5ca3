#pragma once
// The actors under CAF's test coordinator: every message is delivered on the test's thread in
// a fixed order, and time moves only when the test says so.

#include <caf/all.hpp>
#include <caf/test/dsl.hpp>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "actors/protocol.hpp"
#include "test/actors/scripted_port.hpp"

namespace actor_test {

// The port outlives the actor system: actors still touch it as they end.
struct port_holder {
  scripted_port port;
};

struct actor_fixture : port_holder, test_coordinator_fixture<> {
  // Delivers every message and fires every timer due now, until nothing moves.
  void settle() {
    for (int round = 0; round < 10'000; ++round) {
      run();
      if (port.fire_due() == 0 && !sched.has_job()) return;
    }
    throw std::runtime_error("the actors never settled");
  }
  void advance(std::chrono::milliseconds d) {
    port.now_ += d;
    settle();
  }
};

// What the RayCluster actor stand-in heard from a worker group.
struct heard {
  std::vector<actors::event_request> events;
  std::vector<std::string> failures;  // "reason: message", "" when cleared
};

// Takes a worker group's Events and failure reports in place of its RayCluster actor.
inline caf::behavior cluster_stand_in(caf::event_based_actor*, std::shared_ptr<heard> h) {
  return {
      [h](actors::event_atom, actors::event_request& e) { h->events.push_back(e); },
      [h](actors::group_atom, std::string&, std::string& reason, std::string& message) {
        h->failures.push_back(message.empty() ? "" : reason + ": " + message);
      },
  };
}

// Takes what a RayCluster actor tells its supervisor.
inline caf::behavior supervisor_stand_in(caf::event_based_actor*, std::shared_ptr<int> healthy) {
  return {[healthy](actors::healthy_atom, actors::cluster_key&, uint64_t) { ++*healthy; }};
}

inline actors::pod_ptr pod(const std::string& name, const std::string& group,
                           const std::string& phase = "Running", bool ready = true,
                           bool deleting = false) {
  ray::observed_pod p;
  p.name = name;
  p.uid = "uid-" + name;
  p.resource_version = "1";
  p.group = group;
  p.is_head = group == "headgroup";
  p.phase = phase;
  p.ready = ready;
  p.deleting = deleting;
  p.restart_policy = "Never";
  p.creation_timestamp = "2026-01-01T00:00:00Z";
  return std::make_shared<const ray::observed_pod>(std::move(p));
}

// A valid RayCluster "c" in "ns" with one worker group "workers" of one replica (0 to 5).
inline nlohmann::json raycluster_json(const std::string& rv,
                                      nlohmann::json annotations = nlohmann::json::object()) {
  nlohmann::json rc = {{"apiVersion", "ray.io/v1"},
                       {"kind", "RayCluster"},
                       {"metadata",
                        {{"name", "c"},
                         {"namespace", "ns"},
                         {"uid", "uid-c"},
                         {"resourceVersion", rv},
                         {"generation", 1},
                         {"creationTimestamp", "2026-01-01T00:00:00Z"}}},
                       {"spec",
                        {{"rayVersion", "2.9.0"},
                         {"headGroupSpec", {{"rayStartParams", nlohmann::json::object()}}},
                         {"workerGroupSpecs",
                          {{{"groupName", "workers"},
                            {"replicas", 1},
                            {"minReplicas", 0},
                            {"maxReplicas", 5},
                            {"rayStartParams", nlohmann::json::object()}}}}}}};
  if (!annotations.empty()) rc["metadata"]["annotations"] = std::move(annotations);
  return rc;
}

inline k8s::api_error forbidden(const std::string& message) {
  return k8s::api_error(k8s::error_kind::forbidden, message, 403, "Forbidden");
}

}  // namespace actor_test
