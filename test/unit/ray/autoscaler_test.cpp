#include <catch2/catch.hpp>

#include "cluster_fixture.hpp"
#include "ray/children.hpp"

using namespace ray;
using namespace ray_test;
using nlohmann::json;

namespace {

const std::string autoscaler_cmd =
    "ray kuberay-autoscaler --cluster-name $(RAY_CLUSTER_NAME) --cluster-namespace "
    "$(RAY_CLUSTER_NAMESPACE)";

json sidecar_of(const json& cluster) {
  return named(desired_head_pod_template(cluster)["spec"]["containers"], "autoscaler");
}

}  // namespace

TEST_CASE("autoscaler: the sidecar's env and the Role's rules match KubeRay's") {
  const json cluster = seed_cluster();
  const json sidecar = sidecar_of(cluster);
  REQUIRE(sidecar.is_object());
  CHECK(sidecar["image"] == "rayproject/ray:2.6.0");
  CHECK(sidecar["imagePullPolicy"] == "IfNotPresent");
  CHECK(sidecar["command"] == json{"/bin/bash", "-c", "--"});
  CHECK(sidecar["args"] == json{autoscaler_cmd});
  CHECK(sidecar["env"] == json::parse(R"([
    {"name": "RAY_CLUSTER_NAME",
     "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['ray.io/cluster']"}}},
    {"name": "RAY_CLUSTER_NAMESPACE",
     "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
    {"name": "RAY_HEAD_POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
    {"name": "KUBERAY_CRD_VER", "value": "v1"},
    {"name": "KUBERAY_GEN_AUTOSCALER_START_CMD", "value": ")" +
                                      autoscaler_cmd + R"("}])"));
  CHECK(sidecar["resources"] == json::parse(R"({"limits": {"cpu": "500m", "memory": "512Mi"},
                                               "requests": {"cpu": "500m", "memory": "512Mi"}})"));
  CHECK(sidecar["volumeMounts"] ==
        json::parse(R"([{"name": "ray-logs", "mountPath": "/tmp/ray"}])"));
  CHECK_FALSE(sidecar.contains("securityContext"));
  CHECK_FALSE(sidecar.contains("envFrom"));

  const json role = desired_autoscaler_role(cluster);
  CHECK(role["apiVersion"] == "rbac.authorization.k8s.io/v1");
  CHECK(role["kind"] == "Role");
  CHECK(role["metadata"]["name"] == "basic-ray-cluster");
  CHECK(role["rules"] == json::parse(R"([
    {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "watch", "patch"]},
    {"apiGroups": [""], "resources": ["pods/resize"], "verbs": ["patch"]},
    {"apiGroups": ["ray.io"], "resources": ["rayclusters"], "verbs": ["get", "patch"]}])"));
}

TEST_CASE("autoscaler: the sidecar follows the head container, after the user's containers") {
  json cluster = seed_cluster();
  head_container(cluster)["image"] = "my/ray:custom";
  cluster["spec"]["headGroupSpec"]["template"]["spec"]["containers"].push_back(
      {{"name", "logger"}, {"image", "fluentbit"}});
  const json containers = desired_head_pod_template(cluster)["spec"]["containers"];
  REQUIRE(containers.size() == 3);
  CHECK(containers[1]["name"] == "logger");
  CHECK(containers[2]["name"] == "autoscaler");
  CHECK(containers[2]["image"] == "my/ray:custom");
}

TEST_CASE("autoscaler: autoscalerOptions override image, policy, resources, env and mounts") {
  json cluster = seed_cluster();
  cluster["spec"]["autoscalerOptions"] = json::parse(R"({
    "image": "my/autoscaler:1", "imagePullPolicy": "Always",
    "resources": {"limits": {"cpu": "1"}},
    "env": [{"name": "AUTOSCALER_LOG_LEVEL", "value": "debug"}],
    "envFrom": [{"configMapRef": {"name": "cfg"}}],
    "securityContext": {"runAsNonRoot": true},
    "volumeMounts": [{"name": "extra", "mountPath": "/extra"}],
    "command": ["python"], "args": ["-m", "autoscaler"]})");
  const json sidecar = sidecar_of(cluster);
  CHECK(sidecar["image"] == "my/autoscaler:1");
  CHECK(sidecar["imagePullPolicy"] == "Always");
  CHECK(sidecar["resources"] == json{{"limits", {{"cpu", "1"}}}});
  CHECK(sidecar["env"].size() == 6);
  CHECK(sidecar["env"][5]["name"] == "AUTOSCALER_LOG_LEVEL");
  CHECK(sidecar["envFrom"] == json::parse(R"([{"configMapRef": {"name": "cfg"}}])"));
  CHECK(sidecar["securityContext"] == json{{"runAsNonRoot", true}});
  CHECK(sidecar["volumeMounts"] == json::parse(R"([{"name": "extra", "mountPath": "/extra"},
                                                  {"name": "ray-logs", "mountPath": "/tmp/ray"}])"));
  CHECK(sidecar["command"] == json{"python"});
  CHECK(sidecar["args"] == json{"-m", "autoscaler"});
}

TEST_CASE("autoscaler: the ray-logs emptyDir is shared at /tmp/ray with the Ray container") {
  const json tmpl = desired_head_pod_template(seed_cluster());
  CHECK(named(tmpl["spec"]["volumes"], "ray-logs") ==
        json{{"name", "ray-logs"}, {"emptyDir", json::object()}});
  CHECK(named(tmpl["spec"]["containers"][0]["volumeMounts"], "ray-logs")["mountPath"] ==
        "/tmp/ray");
}

TEST_CASE("autoscaler: without in-tree autoscaling there is no sidecar, volume or account") {
  const json tmpl = desired_head_pod_template(plain_cluster());
  CHECK(tmpl["spec"]["containers"].size() == 1);
  CHECK(named(tmpl["spec"]["volumes"], "ray-logs").is_null());
  CHECK_FALSE(tmpl["spec"].contains("serviceAccountName"));
  CHECK(named(tmpl["spec"]["containers"][0]["env"], "RAY_enable_autoscaler_v2").is_null());
}

TEST_CASE("autoscaler: the head runs as the template's service account, else the cluster's") {
  json cluster = seed_cluster();
  CHECK(desired_head_pod_template(cluster)["spec"]["serviceAccountName"] == "basic-ray-cluster");
  cluster["spec"]["headGroupSpec"]["template"]["spec"]["serviceAccountName"] = "mine";
  CHECK(desired_head_pod_template(cluster)["spec"]["serviceAccountName"] == "mine");
}

TEST_CASE("autoscaler: version v2 sets RAY_enable_autoscaler_v2=true, v1 false, unset nothing") {
  json cluster = seed_cluster();
  auto v2_env = [&] {
    const json ray = desired_head_pod_template(cluster)["spec"]["containers"][0];
    return named(ray["env"], "RAY_enable_autoscaler_v2");
  };
  CHECK(v2_env().is_null());
  cluster["spec"]["autoscalerOptions"]["version"] = "v2";
  CHECK(v2_env()["value"] == "true");
  cluster["spec"]["autoscalerOptions"]["version"] = "v1";
  CHECK(v2_env()["value"] == "false");
  // Workers carry no autoscaler env.
  CHECK(named(desired_worker_pod_template(cluster, 0)["spec"]["containers"][0]["env"],
              "RAY_enable_autoscaler_v2")
            .is_null());
}

TEST_CASE(
    "autoscaler: the ServiceAccount is null when the head names its own, the binding follows") {
  json cluster = seed_cluster();
  const json sa = desired_autoscaler_service_account(cluster);
  CHECK(sa["apiVersion"] == "v1");
  CHECK(sa["kind"] == "ServiceAccount");
  CHECK(sa["metadata"]["name"] == "basic-ray-cluster");
  CHECK(sa["metadata"]["namespace"] == "default");
  json binding = desired_autoscaler_role_binding(cluster);
  CHECK(binding["roleRef"] == json{{"apiGroup", "rbac.authorization.k8s.io"},
                                   {"kind", "Role"},
                                   {"name", "basic-ray-cluster"}});
  CHECK(binding["subjects"] == json::parse(R"([{"kind": "ServiceAccount",
      "name": "basic-ray-cluster", "namespace": "default"}])"));

  cluster["spec"]["headGroupSpec"]["template"]["spec"]["serviceAccountName"] = "shared-sa";
  CHECK(desired_autoscaler_service_account(cluster).is_null());
  binding = desired_autoscaler_role_binding(cluster);
  CHECK(binding["subjects"][0]["name"] == "shared-sa");
  CHECK(binding["roleRef"]["name"] == "basic-ray-cluster");
}
