#pragma once
// Faults a test asks for by annotating a pod or a node with kubectl. Every key lives under
// sandbox.ray-operator.dev/; docs/kubelet-simulator.md describes what each one does.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace kubelet_sim {

inline constexpr const char* fail_annotation = "sandbox.ray-operator.dev/fail";
inline constexpr const char* restart_annotation = "sandbox.ray-operator.dev/restart";
inline constexpr const char* not_ready_annotation = "sandbox.ray-operator.dev/not-ready";
inline constexpr const char* start_delay_annotation = "sandbox.ray-operator.dev/start-delay-ms";

struct pod_faults {
  std::optional<int> fail_exit_code;  // 1..255: the first container exits with it
  std::optional<int> restart_count;   // the first container's restartCount is raised to it
  bool not_ready = false;             // Ready and ContainersReady are False
  std::optional<int64_t> start_delay_ms;
  // "key=value" of annotations under the prefix whose value is unusable, for a warning; such
  // an annotation is ignored rather than half-applied.
  std::vector<std::string> invalid;

  bool operator==(const pod_faults& o) const;
};

pod_faults parse_pod_faults(const std::map<std::string, std::string>& annotations);

// A node annotated not-ready reports Ready=False and gets no new pods.
bool node_marked_not_ready(const std::map<std::string, std::string>& annotations);

// The message of the terminated state a simulated failure leaves behind. Finding it in a pod's
// status tells a restarted simulator that this failure was already applied.
std::string fail_marker(int exit_code);

}  // namespace kubelet_sim
