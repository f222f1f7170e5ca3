#include "sandbox/kubelet_sim/node_status.hpp"

#include <cstdio>
#include <functional>

#include "k8s/quantity.hpp"
#include "sandbox/kubelet_sim/faults.hpp"
#include "sandbox/kubelet_sim/fit.hpp"

namespace kubelet_sim {

using nlohmann::json;

namespace {

const char* architecture() {
#if defined(__aarch64__)
  return "arm64";
#else
  return "amd64";
#endif
}

// Stable per node name, so a restarted simulator writes the same nodeInfo.
std::string fake_id(const std::string& name, const char* salt) {
  char buf[40];
  const size_t h1 = std::hash<std::string>{}(name + salt);
  const size_t h2 = std::hash<std::string>{}(salt + name);
  std::snprintf(buf, sizeof buf, "%016zx%016zx", h1, h2);
  return buf;
}

// Every quantity as the API server writes it back ("1k" for 1000 pods): a status compared with
// the stored one must find nothing to write, or each reply would bring another write.
std::string canonical(int64_t count) {
  return k8s::quantity::from_value(count).to_string();
}

json resources(const node_params& p) {
  json r{{"cpu", p.cpu},
         {"memory", p.memory},
         {"pods", canonical(p.pods)},
         {"ephemeral-storage", "100Gi"}};
  if (p.gpu > 0) r[gpu_resource] = canonical(p.gpu);
  return r;
}

json condition(const json& current, const char* type, bool ok, const char* reason,
               const std::string& message, const std::string& now, bool beat) {
  json prev;
  if (current.is_object() && current.contains("conditions") && current["conditions"].is_array())
    for (const auto& c : current["conditions"])
      if (c.is_object() && c.value("type", "") == type) prev = c;
  const std::string status = ok ? (std::string(type) == "Ready" ? "True" : "False")
                                : (std::string(type) == "Ready" ? "False" : "True");
  const auto kept = [&](const char* key) {
    return prev.is_object() && prev.value(key, json()).is_string() ? prev[key].get<std::string>()
                                                                   : now;
  };
  const bool same = prev.is_object() && prev.value("status", "") == status;
  return json{{"type", type},
              {"status", status},
              {"reason", reason},
              {"message", message},
              {"lastHeartbeatTime", beat ? now : kept("lastHeartbeatTime")},
              {"lastTransitionTime", same ? kept("lastTransitionTime") : now}};
}

}  // namespace

json node_labels(const node_params& p) {
  return json{{"kubernetes.io/hostname", p.name},
              {"kubernetes.io/os", "linux"},
              {"kubernetes.io/arch", architecture()},
              {"node.kubernetes.io/instance-type", "simulated"}};
}

json node_object(const node_params& p, const std::string& now) {
  return json{{"apiVersion", "v1"},
              {"kind", "Node"},
              {"metadata", {{"name", p.name}, {"labels", node_labels(p)}}},
              {"spec", json::object()},
              {"status", node_status(p, json::object(), true, now, true)}};
}

json node_status(const node_params& p, const json& current, bool ready, const std::string& now,
                 bool beat) {
  const std::string not_ready =
      std::string("the node is annotated ") + not_ready_annotation + "=true";
  json conditions = json::array({
      condition(current, "MemoryPressure", true, "KubeletHasSufficientMemory",
                "kubelet has sufficient memory available", now, beat),
      condition(current, "DiskPressure", true, "KubeletHasNoDiskPressure",
                "kubelet has no disk pressure", now, beat),
      condition(current, "PIDPressure", true, "KubeletHasSufficientPID",
                "kubelet has sufficient PID available", now, beat),
      ready ? condition(current, "Ready", true, "KubeletReady", "kubelet is posting ready status",
                        now, beat)
            : condition(current, "Ready", false, "KubeletNotReady", not_ready, now, beat),
  });
  return json{
      {"capacity", resources(p)},
      {"allocatable", resources(p)},
      {"conditions", std::move(conditions)},
      {"addresses", json::array({{{"type", "InternalIP"}, {"address", p.internal_ip}},
                                 {{"type", "Hostname"}, {"address", p.name}}})},
      {"daemonEndpoints", {{"kubeletEndpoint", {{"Port", 10250}}}}},
      {"nodeInfo",
       {{"machineID", fake_id(p.name, "machine")},
        {"systemUUID", fake_id(p.name, "system")},
        {"bootID", fake_id(p.name, "boot")},
        {"kernelVersion", "simulated"},
        {"osImage", "kubelet-sim"},
        {"containerRuntimeVersion", "sim://1.0.0"},
        {"kubeletVersion", p.kubelet_version},
        {"kubeProxyVersion", p.kubelet_version},
        {"operatingSystem", "linux"},
        {"architecture", architecture()}}},
  };
}

json lease_object(const std::string& node, const std::string& node_uid,
                  const std::string& renew_micro_time) {
  json lease = lease_renewal(node, renew_micro_time);
  lease["apiVersion"] = "coordination.k8s.io/v1";
  lease["kind"] = "Lease";
  lease["metadata"] = {{"name", node}, {"namespace", node_lease_namespace}};
  if (!node_uid.empty())
    lease["metadata"]["ownerReferences"] =
        json::array({{{"apiVersion", "v1"}, {"kind", "Node"}, {"name", node}, {"uid", node_uid}}});
  return lease;
}

json lease_renewal(const std::string& node, const std::string& renew_micro_time) {
  return json{{"spec",
               {{"holderIdentity", node},
                {"leaseDurationSeconds", lease_duration_seconds},
                {"renewTime", renew_micro_time}}}};
}

}  // namespace kubelet_sim
