// The kubelet simulator's pure decisions: what pods ask for, where they go, the statuses it
// writes (and that it writes nothing a second time), and the fault annotations.
#include <catch2/catch.hpp>

#include "sandbox/kubelet_sim/addressing.hpp"
#include "sandbox/kubelet_sim/faults.hpp"
#include "sandbox/kubelet_sim/fit.hpp"
#include "sandbox/kubelet_sim/node_status.hpp"
#include "sandbox/kubelet_sim/pod_status.hpp"
#include "sandbox/kubelet_sim/pod_view.hpp"

using namespace kubelet_sim;
using nlohmann::json;

namespace {

pod_view view(const std::string& restart_policy = "Always", json annotations = json::object()) {
  json p = json::parse(R"({
    "metadata": {"name": "p", "namespace": "ns", "uid": "u1", "resourceVersion": "42",
                 "creationTimestamp": "2024-01-01T00:00:00Z"},
    "spec": {"nodeName": "n0",
             "initContainers": [{"name": "setup", "image": "busybox"}],
             "containers": [{"name": "worker", "image": "ray:2"}, {"name": "agent", "image": "a:1"}]},
    "status": {"phase": "Pending", "qosClass": "BestEffort"}})");
  p["spec"]["restartPolicy"] = restart_policy;
  p["metadata"]["annotations"] = std::move(annotations);
  return pod_view_of(p);
}

run_context ctx(const std::string& now) {
  return run_context{now, "127.0.1.1", "10.244.0.7", true, std::nullopt};
}

// What the API server keeps after a merge patch of the status, including the nulls and empty
// objects it adds for fields a kubelet leaves unset.
void keep(pod_view& v, const json& patch) {
  v.status.merge_patch(patch);
  for (auto& c : v.status["conditions"]) c["lastProbeTime"] = nullptr;
  for (auto& c : v.status["containerStatuses"])
    if (!c.contains("lastState")) c["lastState"] = json::object();
  v.phase = v.status.value("phase", "");
}

node_candidate node(const std::string& name, int64_t cpu_milli, int64_t used_milli) {
  node_candidate n;
  n.name = name;
  n.ready = true;
  n.allocatable = amounts{cpu_milli, 32LL << 30, 0, 110};
  n.used = amounts{used_milli, 0, 0, 0};
  return n;
}

}  // namespace

TEST_CASE("kubelet-sim: container requests default to limits") {
  auto c = json::parse(R"({"resources": {"requests": {"cpu": "500m"},
                                         "limits": {"cpu": "2", "memory": "1Gi",
                                                    "nvidia.com/gpu": "1"}}})");
  CHECK(container_requests(c) == amounts{500, 1LL << 30, 1, 0});
  CHECK(container_requests(json::object()) == amounts{});
}

TEST_CASE("kubelet-sim: pod requests take the larger of init containers and containers") {
  auto spec = json::parse(R"({
    "initContainers": [{"resources": {"requests": {"cpu": "3", "memory": "1Gi"}}},
                       {"resources": {"requests": {"cpu": "1", "memory": "4Gi"}}}],
    "containers": [{"resources": {"requests": {"cpu": "1", "memory": "1Gi"}}},
                   {"resources": {"requests": {"cpu": "1", "memory": "1Gi"}}}],
    "overhead": {"cpu": "100m"}})");
  CHECK(pod_requests(spec) == amounts{3100, 4LL << 30, 0, 1});
}

TEST_CASE("kubelet-sim: a pod goes to the fitting node with the most CPU left") {
  std::vector<node_candidate> nodes{node("a", 8000, 6000), node("b", 8000, 1000),
                                    node("c", 8000, 500)};
  nodes[2].ready = false;
  CHECK(place(amounts{1000, 0, 0, 1}, {}, nodes).node == "b");
  CHECK(place(amounts{2500, 0, 0, 1}, {}, nodes).node == "b");
}

TEST_CASE("kubelet-sim: pods without requests spread by pod count") {
  std::vector<node_candidate> nodes{node("a", 8000, 0), node("b", 8000, 0)};
  nodes[0].used.pods = 2;
  CHECK(place(amounts{0, 0, 0, 1}, {}, nodes).node == "b");
}

TEST_CASE("kubelet-sim: a pod that fits nowhere gets the scheduler's message") {
  std::vector<node_candidate> nodes{node("a", 8000, 0), node("b", 8000, 0), node("c", 8000, 0)};
  auto p = place(amounts{100000, 0, 0, 1}, {}, nodes);
  CHECK(p.node.empty());
  CHECK(p.message == "0/3 nodes are available: 3 Insufficient cpu.");

  nodes[0].ready = false;
  nodes[1].allocatable.gpu = 1;
  nodes[1].used.gpu = 1;
  p = place(amounts{1000, 64LL << 30, 1, 1}, {}, nodes);
  CHECK(p.message ==
        "0/3 nodes are available: 1 node(s) were not ready, 2 Insufficient memory, "
        "2 Insufficient nvidia.com/gpu.");
  CHECK(place(amounts{}, {}, {}).message == "no nodes available to schedule pods");
}

TEST_CASE("kubelet-sim: node selectors, cordons and the pod limit are honoured") {
  std::vector<node_candidate> nodes{node("a", 8000, 0), node("b", 8000, 0)};
  nodes[1].labels["pool"] = "gpu";
  CHECK(place(amounts{0, 0, 0, 1}, {{"pool", "gpu"}}, nodes).node == "b");
  nodes[1].unschedulable = true;
  CHECK(place(amounts{0, 0, 0, 1}, {{"pool", "gpu"}}, nodes).message ==
        "0/2 nodes are available: 1 node(s) didn't match node selector, "
        "1 node(s) were unschedulable.");
  nodes[0].used.pods = 110;
  CHECK(misfits(amounts{0, 0, 0, 1}, {}, nodes[0]) == std::vector<std::string>{"Too many pods"});
}

TEST_CASE("kubelet-sim: fault annotations parse, and unusable values are reported") {
  auto f = parse_pod_faults({{fail_annotation, "3"},
                             {restart_annotation, "2"},
                             {not_ready_annotation, "true"},
                             {start_delay_annotation, "1500"},
                             {"other/annotation", "x"}});
  CHECK(f.fail_exit_code == 3);
  CHECK(f.restart_count == 2);
  CHECK(f.not_ready);
  CHECK(f.start_delay_ms == 1500);
  CHECK(f.invalid.empty());

  f = parse_pod_faults({{fail_annotation, "0"},
                        {restart_annotation, "-1"},
                        {not_ready_annotation, "maybe"},
                        {start_delay_annotation, "1s"}});
  CHECK_FALSE(f.fail_exit_code);
  CHECK_FALSE(f.restart_count);
  CHECK_FALSE(f.not_ready);
  CHECK(f.invalid.size() == 4);
  CHECK(parse_pod_faults({{not_ready_annotation, "false"}}).invalid.empty());

  CHECK(node_marked_not_ready({{not_ready_annotation, "true"}}));
  CHECK_FALSE(node_marked_not_ready({{not_ready_annotation, "false"}}));
  CHECK_FALSE(node_marked_not_ready({}));
}

TEST_CASE("kubelet-sim: the pod view reads what the decisions need") {
  auto v = view("Never", {{fail_annotation, "1"}});
  CHECK(v.key() == "ns/p");
  CHECK(v.uid == "u1");
  CHECK(v.resource_version == 42);
  CHECK(v.node_name == "n0");
  CHECK(v.restart_policy == "Never");
  CHECK(v.containers.size() == 2);
  CHECK(v.init_containers.size() == 1);
  CHECK(v.faults.fail_exit_code == 1);
  CHECK(v.requests.pods == 1);
  CHECK(pod_ips(json{{"podIP", "10.244.0.1"}, {"podIPs", {{{"ip", "fd00::1"}}}}}) ==
        std::vector<std::string>{"10.244.0.1", "fd00::1"});
}

TEST_CASE("kubelet-sim: a running status is complete, and written only once") {
  pod_view v = view();
  auto first = running_status(v, ctx("2024-01-01T00:00:05Z"));
  const json& s = first.status;
  CHECK(s["phase"] == "Running");
  CHECK(s["hostIP"] == "127.0.1.1");
  CHECK(s["podIP"] == "10.244.0.7");
  CHECK(s["podIPs"] == json::parse(R"([{"ip": "10.244.0.7"}])"));
  CHECK(s["startTime"] == "2024-01-01T00:00:05Z");
  REQUIRE(s["containerStatuses"].size() == 2);
  CHECK(s["containerStatuses"][0]["name"] == "agent");  // sorted by name
  CHECK(s["containerStatuses"][1]["state"]["running"]["startedAt"] == "2024-01-01T00:00:05Z");
  CHECK(s["containerStatuses"][1]["ready"] == true);
  CHECK(s["initContainerStatuses"][0]["state"]["terminated"]["reason"] == "Completed");
  for (const auto& c : s["conditions"]) CHECK(c["status"] == "True");
  CHECK(s["conditions"].size() == 4);

  keep(v, status_patch(v.status, s));
  // Later, and after a restart of the simulator: the same pod needs nothing written.
  auto again = running_status(v, ctx("2024-01-01T00:09:00Z"));
  CHECK(status_patch(v.status, again.status).empty());
}

TEST_CASE("kubelet-sim: fail on a restartPolicy Never pod fails it") {
  pod_view v = view("Never", {{fail_annotation, "2"}});
  auto r = running_status(v, ctx("2024-01-01T00:00:05Z"));
  CHECK(r.status["phase"] == "Failed");
  CHECK(r.applied_fail == 2);
  const json& worker = r.status["containerStatuses"][1];
  CHECK(worker["state"]["terminated"]["exitCode"] == 2);
  CHECK(worker["state"]["terminated"]["reason"] == "Error");
  CHECK(r.status["containerStatuses"][0]["state"]["terminated"]["exitCode"] == 143);
  keep(v, r.status);
  CHECK(applied_fail_of(v) == 2);
}

TEST_CASE("kubelet-sim: fail on a restarting pod restarts its first container once") {
  pod_view v = view("Always");
  keep(v, running_status(v, ctx("2024-01-01T00:00:05Z")).status);
  v.faults = parse_pod_faults({{fail_annotation, "1"}});
  auto r = running_status(v, ctx("2024-01-01T00:01:00Z"));
  CHECK(r.status["phase"] == "Running");
  CHECK(r.applied_fail == 1);
  const json& worker = r.status["containerStatuses"][1];
  CHECK(worker["restartCount"] == 1);
  CHECK(worker["lastState"]["terminated"]["exitCode"] == 1);
  CHECK(worker["state"]["running"]["startedAt"] == "2024-01-01T00:01:00Z");
  CHECK(r.status["containerStatuses"][0]["restartCount"] == 0);
  keep(v, status_patch(v.status, r.status));
  CHECK(applied_fail_of(v) == 1);

  run_context later = ctx("2024-01-01T00:02:00Z");
  later.applied_fail = 1;
  CHECK(status_patch(v.status, running_status(v, later).status).empty());
}

TEST_CASE("kubelet-sim: restart raises the restart count, never lowers it") {
  pod_view v = view();
  keep(v, running_status(v, ctx("2024-01-01T00:00:05Z")).status);
  v.faults = parse_pod_faults({{restart_annotation, "3"}});
  auto r = running_status(v, ctx("2024-01-01T00:01:00Z"));
  const json& worker = r.status["containerStatuses"][1];
  CHECK(worker["restartCount"] == 3);
  CHECK(worker["lastState"]["terminated"]["finishedAt"] == "2024-01-01T00:01:00Z");
  keep(v, status_patch(v.status, r.status));
  CHECK(status_patch(v.status, running_status(v, ctx("2024-01-01T00:05:00Z")).status).empty());
  v.faults = parse_pod_faults({{restart_annotation, "1"}});
  CHECK(status_patch(v.status, running_status(v, ctx("2024-01-01T00:06:00Z")).status).empty());
}

TEST_CASE("kubelet-sim: not-ready makes the pod unready until it is removed") {
  pod_view v = view();
  keep(v, running_status(v, ctx("2024-01-01T00:00:05Z")).status);
  v.faults = parse_pod_faults({{not_ready_annotation, "true"}});
  auto r = running_status(v, ctx("2024-01-01T00:01:00Z"));
  for (const auto& c : r.status["conditions"])
    if (c["type"] == "Ready" || c["type"] == "ContainersReady") {
      CHECK(c["status"] == "False");
      CHECK(c["reason"] == "ContainersNotReady");
      CHECK(c["lastTransitionTime"] == "2024-01-01T00:01:00Z");
    }
  CHECK(r.status["containerStatuses"][0]["ready"] == false);
  keep(v, status_patch(v.status, r.status));
  v.faults = pod_faults{};
  auto back = running_status(v, ctx("2024-01-01T00:02:00Z"));
  CHECK(back.status["conditions"][1]["status"] == "True");
  CHECK(back.status["conditions"][1]["lastTransitionTime"] == "2024-01-01T00:02:00Z");
  CHECK(back.status["conditions"][0]["lastTransitionTime"] == "2024-01-01T00:00:05Z");
}

TEST_CASE("kubelet-sim: a pod on a not-ready node is unready, its containers are not") {
  pod_view v = view();
  run_context c = ctx("2024-01-01T00:00:05Z");
  c.node_ready = false;
  auto r = running_status(v, c);
  CHECK(r.status["conditions"][1]["status"] == "False");
  CHECK(r.status["conditions"][1]["reason"] == "NodeNotReady");
  CHECK(r.status["conditions"][2]["status"] == "True");
}

TEST_CASE("kubelet-sim: a stopped pod's containers are terminated, once") {
  pod_view v = view();
  keep(v, running_status(v, ctx("2024-01-01T00:00:05Z")).status);
  json stopped = stopped_status(v, "2024-01-01T00:03:00Z");
  for (const auto& c : stopped["containerStatuses"]) {
    CHECK(c["state"]["terminated"]["exitCode"] == 0);
    CHECK(c["state"]["terminated"]["startedAt"] == "2024-01-01T00:00:05Z");
    CHECK(c["ready"] == false);
  }
  keep(v, status_patch(v.status, stopped));
  CHECK(status_patch(v.status, stopped_status(v, "2024-01-01T00:04:00Z")).empty());
}

TEST_CASE("kubelet-sim: an unschedulable condition is rewritten only when it changes") {
  pod_view v = view();
  json s = unschedulable_status(v, "0/3 nodes are available: 3 Insufficient cpu.", "T1");
  CHECK(s["conditions"][0]["reason"] == "Unschedulable");
  CHECK(s["conditions"][0]["status"] == "False");
  keep(v, s);
  CHECK(status_patch(v.status, unschedulable_status(v,
                                                    "0/3 nodes are available: 3 Insufficient "
                                                    "cpu.",
                                                    "T2"))
            .empty());
  json other = unschedulable_status(v, "0/3 nodes are available: 3 Insufficient memory.", "T3");
  CHECK(other["conditions"][0]["lastTransitionTime"] == "T1");
  CHECK_FALSE(status_patch(v.status, other).empty());
}

TEST_CASE("kubelet-sim: status patches ignore the nulls and empty objects the server adds") {
  json current{{"a", {{"x", 1}, {"y", nullptr}, {"z", json::object()}}}, {"b", 2}};
  CHECK(status_patch(current, json{{"a", {{"x", 1}}}}).empty());
  CHECK(status_patch(current, json{{"a", {{"x", 2}}}, {"b", 2}}) == json{{"a", {{"x", 2}}}});
  CHECK(status_patch(json::object(), json{{"c", json::array()}}) == json{{"c", json::array()}});
}

TEST_CASE("kubelet-sim: pod IPs are unique and skip past the ones already in use") {
  ip_pool pool;
  CHECK(pool.next() == "10.244.0.1");
  CHECK(pool.next() == "10.244.0.2");
  pool.observe("10.244.3.7");
  pool.observe("192.168.0.1");
  pool.observe("10.244.0.1");
  CHECK(pool.next() == "10.244.3.8");
  for (uint64_t s : {0ULL, 253ULL, 254ULL, 65023ULL, 65024ULL, 700000ULL})
    CHECK(ip_pool::serial_of(ip_pool::address_of(s)) == s);
  CHECK(ip_pool::address_of(253) == "10.244.0.254");
  CHECK(ip_pool::address_of(254) == "10.244.1.1");
  CHECK_FALSE(ip_pool::serial_of("10.244.0.0"));
  CHECK_FALSE(ip_pool::serial_of("10.244.0.1x"));
  CHECK(node_internal_ip(0) == "127.0.1.1");
  CHECK(node_internal_ip(254) == "127.0.2.1");
}

TEST_CASE("kubelet-sim: timestamps") {
  const auto t = std::chrono::system_clock::from_time_t(1700000000) + std::chrono::microseconds(42);
  CHECK(format_time(t) == "2023-11-14T22:13:20Z");
  CHECK(format_micro_time(t) == "2023-11-14T22:13:20.000042Z");
}

TEST_CASE("kubelet-sim: node status keeps its times unless it beats or changes") {
  node_params p{"sim-node-0", "127.0.1.1", "8", "32Gi", 2, "v1.20.2"};
  json s = node_status(p, json::object(), true, "T1", true);
  CHECK(s["allocatable"] == json{{"cpu", "8"},
                                 {"memory", "32Gi"},
                                 {"pods", "110"},
                                 {"ephemeral-storage", "100Gi"},
                                 {"nvidia.com/gpu", "2"}});
  CHECK(s["conditions"][3]["type"] == "Ready");
  CHECK(s["conditions"][3]["status"] == "True");
  CHECK(s["conditions"][0]["status"] == "False");
  CHECK(s["addresses"][0] == json{{"type", "InternalIP"}, {"address", "127.0.1.1"}});
  CHECK(status_patch(s, node_status(p, s, true, "T2", false)).empty());
  node_params big = p;
  big.pods = 1000;  // --node-pods
  big.gpu = 2000;
  // As the API server writes them back: "1000" would differ from the stored "1k" after every
  // write, and each reply would bring another (a node status write loop).
  json big_status = node_status(big, json::object(), true, "T1", true);
  CHECK(big_status["allocatable"]["pods"] == "1k");
  CHECK(big_status["capacity"]["nvidia.com/gpu"] == "2k");

  json beat = node_status(p, s, true, "T3", true);
  CHECK(beat["conditions"][3]["lastHeartbeatTime"] == "T3");
  CHECK(beat["conditions"][3]["lastTransitionTime"] == "T1");

  json down = node_status(p, s, false, "T4", false);
  CHECK(down["conditions"][3]["status"] == "False");
  CHECK(down["conditions"][3]["reason"] == "KubeletNotReady");
  CHECK(down["conditions"][3]["lastTransitionTime"] == "T4");

  json node = node_object(p, "T0");
  CHECK(node["metadata"]["labels"]["node.kubernetes.io/instance-type"] == "simulated");
  CHECK(node["metadata"]["labels"]["kubernetes.io/hostname"] == "sim-node-0");
  json lease = lease_object("sim-node-0", "uid-1", "T.000001Z");
  CHECK(lease["metadata"]["ownerReferences"][0]["uid"] == "uid-1");
  CHECK(lease["spec"]["leaseDurationSeconds"] == 40);
  CHECK(lease["spec"]["holderIdentity"] == "sim-node-0");
}
