#include "sandbox/kubelet_sim/pod_status.hpp"

#include <algorithm>

namespace kubelet_sim {

using nlohmann::json;

namespace {

const json& null_json() {
  static const json n;
  return n;
}

const json& field(const json& obj, const char* key) {
  if (!obj.is_object()) return null_json();
  auto it = obj.find(key);
  return it == obj.end() ? null_json() : *it;
}

// The entry named `name` in a status array (containerStatuses, conditions by "type").
const json& entry(const json& list, const char* key, const std::string& name) {
  if (list.is_array())
    for (const auto& e : list)
      if (field(e, key).is_string() && field(e, key).get<std::string>() == name) return e;
  return null_json();
}

std::string text(const json& v, const std::string& fallback) {
  return v.is_string() && !v.get<std::string>().empty() ? v.get<std::string>() : fallback;
}

json condition(const json& status, const std::string& type, bool ok, const std::string& now,
               const std::string& reason = {}, const std::string& message = {}) {
  const std::string value = ok ? "True" : "False";
  const json& prev = entry(field(status, "conditions"), "type", type);
  json c{{"type", type}, {"status", value}};
  // The transition time moves only when the status does, as the kubelet does it.
  c["lastTransitionTime"] =
      field(prev, "status") == value ? text(field(prev, "lastTransitionTime"), now) : now;
  if (!reason.empty()) c["reason"] = reason;
  if (!message.empty()) c["message"] = message;
  return c;
}

std::string container_id(const pod_view& pod, const std::string& name, int restarts) {
  return "sim://" + pod.uid + "/" + name + "/" + std::to_string(restarts);
}

json container_base(const pod_view& pod, const container_info& c, int restarts) {
  return json{{"name", c.name},
              {"image", c.image},
              {"imageID", "sim://" + c.image},
              {"containerID", container_id(pod, c.name, restarts)},
              {"restartCount", restarts}};
}

json terminated(int exit_code, const std::string& reason, const std::string& started,
                const std::string& now, const std::string& id, const std::string& message = {}) {
  json t{{"exitCode", exit_code},
         {"reason", reason},
         {"startedAt", started},
         {"finishedAt", now},
         {"containerID", id}};
  if (!message.empty()) t["message"] = message;
  return t;
}

std::vector<container_info> by_name(std::vector<container_info> cs) {
  std::sort(cs.begin(), cs.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return cs;
}

json normalized(const json& v) {
  if (v.is_object()) {
    json out = json::object();
    for (const auto& [key, value] : v.items()) {
      json n = normalized(value);
      if (!n.is_null() && !(n.is_object() && n.empty())) out[key] = std::move(n);
    }
    return out;
  }
  if (v.is_array()) {
    json out = json::array();
    for (const auto& e : v) out.push_back(normalized(e));
    return out;
  }
  return v;
}

int int_at(const json& v, const char* key) {
  const json& f = field(v, key);
  return f.is_number_integer() ? f.get<int>() : 0;
}

}  // namespace

run_status running_status(const pod_view& pod, const run_context& ctx) {
  const json& cur = pod.status;
  const json& cur_containers = field(cur, "containerStatuses");
  const std::string first = pod.containers.empty() ? std::string() : pod.containers[0].name;
  const auto& fail = pod.faults.fail_exit_code;
  const bool failing = fail && ctx.applied_fail != fail;
  const bool ends = failing && pod.restart_policy == "Never";
  const bool containers_ready = !ends && !pod.faults.not_ready;

  run_status out;
  out.applied_fail = failing ? fail : ctx.applied_fail;
  json statuses = json::array();
  std::vector<std::string> unready;
  for (const auto& c : by_name(pod.containers)) {
    const json& prev = entry(cur_containers, "name", c.name);
    int restarts = int_at(prev, "restartCount");
    std::string since = text(field(field(field(prev, "state"), "running"), "startedAt"), ctx.now);
    json last = field(prev, "lastState");
    json state{{"running", {{"startedAt", since}}}};
    const std::string id = container_id(pod, c.name, restarts);
    if (c.name == first && failing) {
      json t = terminated(*fail, "Error", since, ctx.now, id, fail_marker(*fail));
      if (ends) {
        state = {{"terminated", t}};
      } else {
        ++restarts;
        last = {{"terminated", t}};
        since = ctx.now;
        state = {{"running", {{"startedAt", since}}}};
      }
    } else if (ends) {
      state = {{"terminated", terminated(143, "Error", since, ctx.now, id)}};
    }
    const auto& wanted = pod.faults.restart_count;
    if (c.name == first && !ends && wanted && *wanted > restarts) {
      const std::string message =
          std::string("simulated restart: ") + restart_annotation + "=" + std::to_string(*wanted);
      last = {{"terminated", terminated(137, "Error", since, ctx.now,
                                        container_id(pod, c.name, restarts), message)}};
      restarts = *wanted;
      state = {{"running", {{"startedAt", ctx.now}}}};
    }
    json s = container_base(pod, c, restarts);
    s["ready"] = containers_ready;
    s["started"] = !ends;
    s["state"] = state;
    if (last.is_object() && !last.empty()) s["lastState"] = last;
    statuses.push_back(std::move(s));
    if (!containers_ready) unready.push_back(c.name);
  }

  json init = json::array();
  const json& cur_init = field(cur, "initContainerStatuses");
  for (const auto& c : pod.init_containers) {
    const json& prev_done = field(field(entry(cur_init, "name", c.name), "state"), "terminated");
    json s = container_base(pod, c, 0);
    s["ready"] = true;
    s["state"] = {{"terminated", prev_done.is_object() && field(prev_done, "exitCode") == 0
                                     ? prev_done
                                     : terminated(0, "Completed", ctx.now, ctx.now,
                                                  container_id(pod, c.name, 0))}};
    init.push_back(std::move(s));
  }

  std::string why_unready;
  for (const auto& n : unready) why_unready += (why_unready.empty() ? "" : " ") + n;
  why_unready = "containers with unready status: [" + why_unready + "]";
  json conditions = json::array();
  conditions.push_back(condition(cur, "Initialized", true, ctx.now));
  if (!containers_ready)
    conditions.push_back(
        condition(cur, "Ready", false, ctx.now, "ContainersNotReady", why_unready));
  else if (!ctx.node_ready)
    conditions.push_back(condition(cur, "Ready", false, ctx.now, "NodeNotReady",
                                   "the node the pod runs on is not ready"));
  else
    conditions.push_back(condition(cur, "Ready", true, ctx.now));
  conditions.push_back(containers_ready ? condition(cur, "ContainersReady", true, ctx.now)
                                        : condition(cur, "ContainersReady", false, ctx.now,
                                                    "ContainersNotReady", why_unready));
  conditions.push_back(condition(cur, "PodScheduled", true, ctx.now));

  json& s = out.status;
  s["phase"] = ends ? "Failed" : "Running";
  s["hostIP"] = ctx.host_ip;
  s["podIP"] = ctx.pod_ip;
  s["podIPs"] = json::array({{{"ip", ctx.pod_ip}}});
  s["startTime"] = text(field(cur, "startTime"), ctx.now);
  s["conditions"] = std::move(conditions);
  s["containerStatuses"] = std::move(statuses);
  if (!init.empty()) s["initContainerStatuses"] = std::move(init);
  return out;
}

json stopped_status(const pod_view& pod, const std::string& now) {
  const json& cur = pod.status;
  const json& cur_containers = field(cur, "containerStatuses");
  json statuses = json::array();
  std::string names;
  for (const auto& c : by_name(pod.containers)) {
    const json& prev = entry(cur_containers, "name", c.name);
    const int restarts = int_at(prev, "restartCount");
    json s = container_base(pod, c, restarts);
    s["ready"] = false;
    s["started"] = false;
    const json& prev_end = field(field(prev, "state"), "terminated");
    const std::string since = text(field(field(field(prev, "state"), "running"), "startedAt"), now);
    s["state"] = {{"terminated", prev_end.is_object()
                                     ? prev_end
                                     : terminated(0, "Completed", since, now,
                                                  container_id(pod, c.name, restarts))}};
    if (const json& last = field(prev, "lastState"); last.is_object() && !last.empty())
      s["lastState"] = last;
    statuses.push_back(std::move(s));
    names += (names.empty() ? "" : " ") + c.name;
  }
  const std::string why = "containers with unready status: [" + names + "]";
  json conditions = json::array();
  if (const json& prev = field(cur, "conditions"); prev.is_array())
    for (const auto& c : prev)
      if (field(c, "type") != "Ready" && field(c, "type") != "ContainersReady")
        conditions.push_back(c);
  conditions.push_back(condition(cur, "Ready", false, now, "ContainersNotReady", why));
  conditions.push_back(condition(cur, "ContainersReady", false, now, "ContainersNotReady", why));
  return json{{"conditions", std::move(conditions)}, {"containerStatuses", std::move(statuses)}};
}

json unschedulable_status(const pod_view& pod, const std::string& message, const std::string& now) {
  json conditions = json::array();
  if (const json& prev = field(pod.status, "conditions"); prev.is_array())
    for (const auto& c : prev)
      if (field(c, "type") != "PodScheduled") conditions.push_back(c);
  conditions.push_back(condition(pod.status, "PodScheduled", false, now, "Unschedulable", message));
  return json{{"conditions", std::move(conditions)}};
}

json status_patch(const json& current, const json& desired) {
  json patch = json::object();
  for (const auto& [key, value] : desired.items())
    if (normalized(value) != normalized(field(current, key.c_str()))) patch[key] = value;
  return patch;
}

std::optional<int> applied_fail_of(const pod_view& pod) {
  if (pod.containers.empty()) return std::nullopt;
  const json& s = entry(field(pod.status, "containerStatuses"), "name", pod.containers[0].name);
  for (const char* where : {"state", "lastState"}) {
    const json& t = field(field(s, where), "terminated");
    const json& code = field(t, "exitCode");
    if (code.is_number_integer() && field(t, "message") == fail_marker(code.get<int>()))
      return code.get<int>();
  }
  return std::nullopt;
}

}  // namespace kubelet_sim
