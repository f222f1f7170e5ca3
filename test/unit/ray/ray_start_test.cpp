#include "ray/ray_start.hpp"

#include <catch2/catch.hpp>

#include "cluster_fixture.hpp"

using namespace ray;
using namespace ray_test;
using nlohmann::json;

namespace {

const std::string ulimit = "ulimit -n ${RAY_START_ULIMIT_OPEN_FILES:-65536}; ";

json group_with(const json& params, const json& resources) {
  return {
      {"rayStartParams", params},
      {"template", {{"spec", {{"containers", {{{"name", "ray"}, {"resources", resources}}}}}}}}};
}

json limits(const json& l) {
  return {{"limits", l}};
}

}  // namespace

TEST_CASE("ray start: flags are sorted, true renders bare, false is dropped") {
  const json params = {{"zeta", "1"}, {"alpha", "true"}, {"mid", "False"}, {"block", "TRUE"}};
  CHECK(ray_start_command(params, false) == ulimit + "ray start --alpha --block --zeta=1");
}

TEST_CASE(
    "ray start: log-color, include-dashboard and include-log-monitor keep an explicit false") {
  const json params = {{"log-color", "false"},
                       {"include-dashboard", "false"},
                       {"include-log-monitor", "false"},
                       {"other", "false"}};
  CHECK(ray_start_command(params, false) ==
        ulimit +
            "ray start --include-dashboard=false --include-log-monitor=false --log-color=false");
}

TEST_CASE("ray start: --head follows ray start on the head only") {
  const json params = {{"block", "true"}};
  CHECK(ray_start_command(params, true) == ulimit + "ray start --head --block");
  CHECK(ray_start_command(params, false) == ulimit + "ray start --block");
}

TEST_CASE("ray start: KubeRay's expected head string, compared as a token set") {
  json cluster = plain_cluster();
  const json head = group_with(json::object(), limits({{"cpu", "1"}, {"memory", "1Gi"}}));
  const std::string expected =
      "ulimit -n ${RAY_START_ULIMIT_OPEN_FILES:-65536}; ray start --head --block "
      "--dashboard-agent-listen-port=52365 --memory=1073741824 --num-cpus=1 "
      "--metrics-export-port=8080 --dashboard-host=0.0.0.0";
  const std::string actual =
      ray_start_command(completed_ray_start_params(cluster, head, true), true);
  CHECK(tokens(actual) == tokens(expected));
  // KubeRay's real layout, modulo its double spaces.
  CHECK(tokens(actual) ==
        tokens("ulimit -n ${RAY_START_ULIMIT_OPEN_FILES:-65536}; ray start --head  --block  "
               "--dashboard-agent-listen-port=52365  --dashboard-host=0.0.0.0  "
               "--memory=1073741824  --metrics-export-port=8080  --num-cpus=1 "));
  CHECK(actual.rfind(ulimit + "ray start --head --block ", 0) == 0);
}

TEST_CASE("ray start: KubeRay's expected worker string, compared as a token set") {
  json cluster = plain_cluster();
  cluster["metadata"]["name"] = "raycluster-sample";
  const json worker = group_with(
      {{"port", "6379"}}, limits({{"cpu", "1"}, {"memory", "1Gi"}, {"nvidia.com/gpu", "3"}}));
  const std::string expected =
      "ulimit -n ${RAY_START_ULIMIT_OPEN_FILES:-65536}; ray start --block "
      "--dashboard-agent-listen-port=52365 --memory=1073741824 --num-cpus=1 --num-gpus=3 "
      "--address=raycluster-sample-head-svc.default.svc.cluster.local:6379 --port=6379 "
      "--metrics-export-port=8080";
  const std::string actual =
      ray_start_command(completed_ray_start_params(cluster, worker, false), false);
  CHECK(tokens(actual) == tokens(expected));
}

TEST_CASE("ray start: the seed example's head and worker commands") {
  const json cluster = seed_cluster();
  const json& spec = cluster["spec"];
  CHECK(ray_start_command(completed_ray_start_params(cluster, spec["headGroupSpec"], true), true) ==
        ulimit +
            "ray start --head --block --dashboard-agent-listen-port=52365 "
            "--dashboard-host=0.0.0.0 --memory=2147483648 --metrics-export-port=8080 "
            "--no-monitor --num-cpus=1");
  CHECK(ray_start_command(completed_ray_start_params(cluster, spec["workerGroupSpecs"][0], false),
                          false) ==
        ulimit +
            "ray start --address=basic-ray-cluster-head-svc.default.svc.cluster.local:6379 "
            "--block --dashboard-agent-listen-port=52365 --dashboard-host=0.0.0.0 "
            "--memory=1073741824 --metrics-export-port=8080 --num-cpus=1 --num-gpus=0");
}

TEST_CASE("ray start params: block is forced even when the user sets it false") {
  const json group = group_with({{"block", "false"}}, json::object());
  CHECK(completed_ray_start_params(plain_cluster(), group, false)["block"] == "true");
}

TEST_CASE("ray start params: head dashboard-host defaults to 0.0.0.0 and a user value wins") {
  const json cluster = plain_cluster();
  CHECK(completed_ray_start_params(cluster, group_with(json::object(), {}),
                                   true)["dashboard-host"] == "0.0.0.0");
  CHECK(completed_ray_start_params(cluster, group_with({{"dashboard-host", "127.0.0.1"}}, {}),
                                   true)["dashboard-host"] == "127.0.0.1");
  CHECK_FALSE(completed_ray_start_params(cluster, group_with(json::object(), {}), false)
                  .contains("dashboard-host"));
}

TEST_CASE("ray start params: no-monitor only on the head and only with in-tree autoscaling") {
  const json group = group_with(json::object(), {});
  CHECK(completed_ray_start_params(seed_cluster(), group, true)["no-monitor"] == "true");
  CHECK_FALSE(completed_ray_start_params(plain_cluster(), group, true).contains("no-monitor"));
  CHECK_FALSE(completed_ray_start_params(seed_cluster(), group, false).contains("no-monitor"));
}

TEST_CASE("ray start params: the worker address is the head service FQDN and the head's port") {
  json cluster = plain_cluster();
  cluster["metadata"]["namespace"] = "team-a";
  const json group = group_with(json::object(), {});
  CHECK(completed_ray_start_params(cluster, group, false)["address"] ==
        "basic-ray-cluster-head-svc.team-a.svc.cluster.local:6379");
  cluster["spec"]["headGroupSpec"]["rayStartParams"]["port"] = "6380";
  CHECK(completed_ray_start_params(cluster, group, false)["address"] ==
        "basic-ray-cluster-head-svc.team-a.svc.cluster.local:6380");
  CHECK(completed_ray_start_params(cluster, group_with({{"address", "elsewhere:1"}}, {}),
                                   false)["address"] == "elsewhere:1");
}

TEST_CASE("ray start params: metrics and dashboard agent ports default, user values win") {
  const json cluster = plain_cluster();
  json p = completed_ray_start_params(cluster, group_with(json::object(), {}), false);
  CHECK(p["metrics-export-port"] == "8080");
  CHECK(p["dashboard-agent-listen-port"] == "52365");
  p = completed_ray_start_params(
      cluster,
      group_with({{"metrics-export-port", "9090"}, {"dashboard-agent-listen-port", "1"}}, {}),
      false);
  CHECK(p["metrics-export-port"] == "9090");
  CHECK(p["dashboard-agent-listen-port"] == "1");
}

TEST_CASE("ray start params: num-cpus rounds the CPU limit up and falls back to the request") {
  const json cluster = plain_cluster();
  auto cpus = [&](const json& resources) {
    return completed_ray_start_params(cluster, group_with(json::object(), resources), false)
        .value("num-cpus", "<none>");
  };
  CHECK(cpus(limits({{"cpu", "500m"}})) == "1");
  CHECK(cpus(limits({{"cpu", "2500m"}})) == "3");
  CHECK(cpus({{"limits", {{"cpu", "4"}}}, {"requests", {{"cpu", "2"}}}}) == "4");
  CHECK(cpus({{"requests", {{"cpu", "1500m"}}}}) == "2");
  CHECK(cpus({{"limits", {{"cpu", "0"}}}, {"requests", {{"cpu", "3"}}}}) == "3");
  CHECK(cpus(json::object()) == "<none>");
}

TEST_CASE("ray start params: memory comes from the limit in bytes, never from the request") {
  const json cluster = plain_cluster();
  auto memory = [&](const json& resources) {
    return completed_ray_start_params(cluster, group_with(json::object(), resources), false)
        .value("memory", "<none>");
  };
  CHECK(memory(limits({{"memory", "2Gi"}})) == "2147483648");
  CHECK(memory(limits({{"memory", "1G"}})) == "1000000000");
  CHECK(memory({{"requests", {{"memory", "1Gi"}}}}) == "<none>");
}

TEST_CASE("ray start params: num-gpus from the first non-zero *gpu limit in key order") {
  const json cluster = plain_cluster();
  auto gpus = [&](const json& l) {
    return completed_ray_start_params(cluster, group_with(json::object(), limits(l)), false)
        .value("num-gpus", "<none>");
  };
  CHECK(gpus({{"nvidia.com/gpu", "2"}, {"cpu", "1"}}) == "2");
  CHECK(gpus({{"amd.com/gpu", "0"}, {"nvidia.com/gpu", "4"}}) == "4");
  CHECK(gpus({{"amd.com/gpu", "1"}, {"nvidia.com/gpu", "4"}}) == "1");
  CHECK(gpus({{"nvidia.com/gpu-memory", "8"}}) == "<none>");
  CHECK(gpus({{"cpu", "1"}}) == "<none>");
  // Requests do not count: the device plugin only honours limits.
  CHECK(completed_ray_start_params(
            cluster, group_with(json::object(), {{"requests", {{"nvidia.com/gpu", "1"}}}}), false)
            .value("num-gpus", "<none>") == "<none>");
}

TEST_CASE("ray start params: a MIG slice limit counts as GPUs") {
  const json p = completed_ray_start_params(
      plain_cluster(), group_with(json::object(), limits({{"nvidia.com/mig-1g.5gb", "2"}})), false);
  CHECK(p["num-gpus"] == "2");
}

TEST_CASE("ray start params: TPU and Neuron core limits become Ray custom resources") {
  auto resources = [](const json& params, const json& l) {
    return completed_ray_start_params(plain_cluster(), group_with(params, limits(l)), false)
        .value("resources", "<none>");
  };
  CHECK(resources(json::object(), {{"google.com/tpu", "4"}}) == R"('{"TPU":4}')");
  CHECK(resources(json::object(), {{"aws.amazon.com/neuroncore", "2"}}) ==
        R"('{"neuron_cores":2}')");
  // Merged into the user's own resources, which keep their quoting style out.
  CHECK(resources({{"resources", R"('{"custom":1}')"}}, {{"google.com/tpu", "8"}}) ==
        R"('{"TPU":8,"custom":1}')");
  CHECK(resources({{"resources", R"("{\"custom\": 1}")"}}, {{"google.com/tpu", "8"}}) ==
        R"('{"TPU":8,"custom":1}')");
  // The user's own TPU count wins; text that is not JSON is left as written.
  CHECK(resources({{"resources", R"('{"TPU":1}')"}}, {{"google.com/tpu", "8"}}) ==
        R"('{"TPU":1}')");
  CHECK(resources({{"resources", "not-json"}}, {{"google.com/tpu", "8"}}) == "not-json");
  CHECK(resources(json::object(), {{"google.com/tpu", "0"}}) == "<none>");
  CHECK(resources(json::object(), {{"nvidia.com/gpu", "1"}}) == "<none>");
}

TEST_CASE("ray start params: the group's resources give num-cpus, memory, num-gpus and the rest") {
  json group = group_with(json::object(), limits({{"cpu", "8"}, {"memory", "16Gi"}}));
  group["resources"] = {{"CPU", "500m"}, {"memory", "1Gi"}, {"GPU", "2"}, {"accel", "3"}};
  const json p = completed_ray_start_params(plain_cluster(), group, false);
  CHECK(p["num-cpus"] == "0.5");
  CHECK(p["memory"] == "1073741824");
  CHECK(p["num-gpus"] == "2");
  CHECK(p["resources"] == R"('{"accel":3}')");
}

TEST_CASE("ray start params: the group's labels become --labels, sorted by key") {
  json group = group_with(json::object(), json::object());
  group["labels"] = {{"zone", "a"}, {"ray.io/market-type", "spot"}};
  CHECK(completed_ray_start_params(plain_cluster(), group, false)["labels"] ==
        "ray.io/market-type=spot,zone=a");
  CHECK_FALSE(
      completed_ray_start_params(plain_cluster(), group_with(json::object(), json::object()), false)
          .contains("labels"));
}

TEST_CASE("ray start params: the user's num-cpus, memory and num-gpus win over resources") {
  const json group = group_with({{"num-cpus", "0"}, {"memory", "5"}, {"num-gpus", "0"}},
                                limits({{"cpu", "8"}, {"memory", "1Gi"}, {"nvidia.com/gpu", "1"}}));
  const json p = completed_ray_start_params(plain_cluster(), group, false);
  CHECK(p["num-cpus"] == "0");
  CHECK(p["memory"] == "5");
  CHECK(p["num-gpus"] == "0");
}

TEST_CASE("ray start params: unquoted numbers and booleans render as text") {
  const json group = group_with({{"num-cpus", 2}, {"disable-usage-stats", true}},
                                limits({{"cpu", 4}, {"memory", "1Gi"}}));
  const json p = completed_ray_start_params(plain_cluster(), group, false);
  CHECK(p["num-cpus"] == "2");
  CHECK(p["disable-usage-stats"] == "true");
  const json q = completed_ray_start_params(
      plain_cluster(), group_with(json::object(), limits({{"cpu", 4}})), false);
  CHECK(q["num-cpus"] == "4");
}
