#include <catch2/catch.hpp>

#include "cluster_fixture.hpp"
#include "ray/children.hpp"

using namespace ray;
using namespace ray_test;
using nlohmann::json;

namespace {

const std::string seed_head_cmd =
    "ulimit -n ${RAY_START_ULIMIT_OPEN_FILES:-65536}; ray start --head --block "
    "--dashboard-agent-listen-port=52365 --dashboard-host=0.0.0.0 --memory=2147483648 "
    "--metrics-export-port=8080 --no-monitor --num-cpus=1";

json ray_of(const json& tmpl) {
  return tmpl["spec"]["containers"][0];
}

}  // namespace

TEST_CASE("head template: Ray's labels are added to the template's") {
  json cluster = seed_cluster();
  cluster["spec"]["headGroupSpec"]["template"]["metadata"]["labels"] = {{"team", "ml"}};
  const json labels = desired_head_pod_template(cluster)["metadata"]["labels"];
  CHECK(labels == json{{"team", "ml"},
                       {"ray.io/cluster", "basic-ray-cluster"},
                       {"ray.io/node-type", "head"},
                       {"ray.io/group", "headgroup"},
                       {"ray.io/identifier", "basic-ray-cluster-head"},
                       {"ray.io/is-ray-node", "yes"},
                       {"app.kubernetes.io/name", "kuberay"},
                       {"app.kubernetes.io/created-by", "ray-operator"}});
}

TEST_CASE("head template: always annotated ray.io/ft-enabled, true with GCS fault tolerance") {
  json cluster = seed_cluster();
  CHECK(desired_head_pod_template(cluster)["metadata"]["annotations"]["ray.io/ft-enabled"] ==
        "false");
  cluster["metadata"]["annotations"]["ray.io/ft-enabled"] = "true";
  CHECK(desired_head_pod_template(cluster)["metadata"]["annotations"]["ray.io/ft-enabled"] ==
        "true");
  cluster["metadata"]["annotations"].erase("ray.io/ft-enabled");
  cluster["spec"]["gcsFaultToleranceOptions"] = {{"redisAddress", "redis:6379"}};
  CHECK(desired_head_pod_template(cluster)["metadata"]["annotations"]["ray.io/ft-enabled"] ==
        "true");
  CHECK_FALSE(desired_worker_pod_template(cluster, 0)["metadata"]["annotations"].contains(
      "ray.io/ft-enabled"));
}

TEST_CASE("head template: a template label cannot override ray.io/cluster, node-type or group") {
  json cluster = seed_cluster();
  cluster["spec"]["headGroupSpec"]["template"]["metadata"]["labels"] = {
      {"ray.io/cluster", "other"},
      {"ray.io/node-type", "worker"},
      {"ray.io/group", "small-worker"},
      {"app.kubernetes.io/name", "my-app"}};
  const json labels = desired_head_pod_template(cluster)["metadata"]["labels"];
  CHECK(labels["ray.io/cluster"] == "basic-ray-cluster");
  CHECK(labels["ray.io/node-type"] == "head");
  CHECK(labels["ray.io/group"] == "headgroup");
  CHECK(labels["app.kubernetes.io/name"] == "my-app");
}

TEST_CASE("worker template: the group's Ray labels are pod labels, Ray's own still win") {
  json cluster = seed_cluster();
  worker_group(cluster)["labels"] = {{"ray.io/market-type", "spot"}, {"ray.io/group", "other"}};
  const json labels = desired_worker_pod_template(cluster, 0)["metadata"]["labels"];
  CHECK(labels["ray.io/market-type"] == "spot");
  CHECK(labels["ray.io/group"] == worker_group(cluster)["groupName"]);
}

TEST_CASE("worker template: labels name the worker group") {
  const json labels = desired_worker_pod_template(seed_cluster(), 0)["metadata"]["labels"];
  CHECK(labels["ray.io/node-type"] == "worker");
  CHECK(labels["ray.io/group"] == "small-worker");
  CHECK(labels["ray.io/identifier"] == "basic-ray-cluster-worker");
  CHECK(desired_worker_pod_template(seed_cluster(), 1).is_null());
}

TEST_CASE("head template: user fields of the template are kept") {
  json cluster = plain_cluster();
  json& tmpl = cluster["spec"]["headGroupSpec"]["template"];
  tmpl["metadata"]["annotations"] = {{"note", "x"}};
  tmpl["metadata"]["namespace"] = "elsewhere";
  tmpl["spec"]["nodeSelector"] = {{"pool", "cpu"}};
  tmpl["spec"]["containers"][0]["imagePullPolicy"] = "Always";
  tmpl["spec"]["containers"].push_back({{"name", "sidecar"}, {"image", "busybox"}});
  const json out = desired_head_pod_template(cluster);
  CHECK(out["metadata"]["annotations"] == json{{"note", "x"}, {"ray.io/ft-enabled", "false"}});
  CHECK_FALSE(out["metadata"].contains("namespace"));
  CHECK(out["spec"]["nodeSelector"] == json{{"pool", "cpu"}});
  CHECK(ray_of(out)["imagePullPolicy"] == "Always");
  CHECK(ray_of(out)["resources"]["limits"]["memory"] == "2Gi");
  REQUIRE(out["spec"]["containers"].size() == 2);
  CHECK(out["spec"]["containers"][1] == json{{"name", "sidecar"}, {"image", "busybox"}});
}

TEST_CASE("ray container: bash -c runs the ulimit and ray start command") {
  const json ray = ray_of(desired_head_pod_template(seed_cluster()));
  CHECK(ray["command"] == json{"/bin/bash", "-c", "--"});
  CHECK(ray["args"] == json{seed_head_cmd});
}

TEST_CASE("ray container: a user command that runs ray start is left alone") {
  json cluster = seed_cluster();
  head_container(cluster)["command"] = {"sh", "-c"};
  head_container(cluster)["args"] = {"ray start --head --block --port=6379"};
  const json ray = ray_of(desired_head_pod_template(cluster));
  CHECK(ray["command"] == json{"sh", "-c"});
  CHECK(ray["args"] == json{"ray start --head --block --port=6379"});
  CHECK(env_value(ray, "KUBERAY_GEN_RAY_START_CMD").rfind("ray start --head --block", 0) == 0);
}

TEST_CASE("ray container: a user command without ray start runs before it") {
  json cluster = seed_cluster();
  head_container(cluster)["command"] = {"pip", "install"};
  head_container(cluster)["args"] = {"emoji"};
  const json ray = ray_of(desired_head_pod_template(cluster));
  CHECK(ray["command"] == json{"/bin/bash", "-c", "--"});
  CHECK(ray["args"] == json{"pip install emoji && " + seed_head_cmd});
}

TEST_CASE("ray container: the overwrite-container-cmd annotation keeps the user's command") {
  json cluster = seed_cluster();
  cluster["metadata"]["annotations"] = {{"ray.io/overwrite-container-cmd", "true"}};
  head_container(cluster)["command"] = {"my-entrypoint"};
  const json ray = ray_of(desired_head_pod_template(cluster));
  CHECK(ray["command"] == json{"my-entrypoint"});
  CHECK_FALSE(ray.contains("args"));
}

TEST_CASE("ray container: head env is KubeRay's, the start command without the ulimit") {
  const json ray = ray_of(desired_head_pod_template(seed_cluster()));
  CHECK(env_field(ray, "RAY_CLUSTER_NAME") == "metadata.labels['ray.io/cluster']");
  CHECK(env_field(ray, "RAY_CLUSTER_NAMESPACE") == "metadata.namespace");
  CHECK(env_field(ray, "RAY_CLOUD_INSTANCE_ID") == "metadata.name");
  CHECK(env_field(ray, "RAY_NODE_TYPE_NAME") == "metadata.labels['ray.io/group']");
  CHECK(env_value(ray, "KUBERAY_GEN_RAY_START_CMD") ==
        seed_head_cmd.substr(seed_head_cmd.find("ray start")));
  CHECK(env_value(ray, "RAY_PORT") == "6379");
  CHECK(env_value(ray, "RAY_ADDRESS") == "127.0.0.1:6379");
  CHECK(env_value(ray, "RAY_USAGE_STATS_KUBERAY_IN_USE") == "1");
  CHECK(env_value(ray, "RAY_DASHBOARD_ENABLE_K8S_DISK_USAGE") == "1");
  CHECK(named(ray["env"], "FQ_RAY_IP").is_null());
  CHECK(named(ray["env"], "RAY_IP").is_null());
}

TEST_CASE("ray container: a user's env var wins and is not duplicated") {
  json cluster = seed_cluster();
  head_container(cluster)["env"] = {{{"name", "RAY_ADDRESS"}, {"value", "custom:1"}},
                                    {{"name", "MY_VAR"}, {"value", "1"}}};
  const json ray = ray_of(desired_head_pod_template(cluster));
  CHECK(env_value(ray, "RAY_ADDRESS") == "custom:1");
  CHECK(env_count(ray, "RAY_ADDRESS") == 1);
  CHECK(ray["env"][0]["name"] == "RAY_ADDRESS");
  CHECK(ray["env"][1]["name"] == "MY_VAR");
}

TEST_CASE("worker template: RAY_ADDRESS, FQ_RAY_IP and RAY_IP point at the head service") {
  const json ray = ray_of(desired_worker_pod_template(seed_cluster(), 0));
  const std::string fqdn = "basic-ray-cluster-head-svc.default.svc.cluster.local";
  CHECK(env_value(ray, "RAY_ADDRESS") == fqdn + ":6379");
  CHECK(env_value(ray, "FQ_RAY_IP") == fqdn);
  CHECK(env_value(ray, "RAY_IP") == "basic-ray-cluster-head-svc");
  CHECK(tokens(ray["args"][0].get<std::string>()).count("--address=" + fqdn + ":6379") == 1);
}

TEST_CASE("head template: the five default ports when the container names none") {
  const json ports = ray_of(desired_head_pod_template(seed_cluster()))["ports"];
  CHECK(ports == json::parse(R"([
    {"name": "gcs-server", "containerPort": 6379}, {"name": "dashboard", "containerPort": 8265},
    {"name": "client", "containerPort": 10001}, {"name": "metrics", "containerPort": 8080},
    {"name": "serve", "containerPort": 8000}])"));
}

TEST_CASE("head template: declared ports are kept and metrics is added") {
  json cluster = seed_cluster();
  head_container(cluster)["ports"] = {{{"name", "gcs"}, {"containerPort", 6379}}};
  const json ports = ray_of(desired_head_pod_template(cluster))["ports"];
  CHECK(ports == json::parse(R"([{"name": "gcs", "containerPort": 6379},
                                 {"name": "metrics", "containerPort": 8080}])"));
  head_container(cluster)["ports"].push_back({{"name", "metrics"}, {"containerPort", 9999}});
  CHECK(ray_of(desired_head_pod_template(cluster))["ports"].size() == 2);
}

TEST_CASE("worker template: only the metrics port is added") {
  const json ports = ray_of(desired_worker_pod_template(seed_cluster(), 0))["ports"];
  CHECK(ports == json::parse(R"([{"name": "metrics", "containerPort": 8080}])"));
}

TEST_CASE("ray container: /dev/shm is a memory emptyDir sized by the memory limit") {
  json cluster = seed_cluster();
  worker_container(cluster)["resources"] = {{"requests", {{"memory", "3Gi"}}}};
  const json head = desired_head_pod_template(cluster);
  CHECK(named(head["spec"]["volumes"], "shared-mem")["emptyDir"] ==
        json{{"medium", "Memory"}, {"sizeLimit", "2Gi"}});
  CHECK(named(ray_of(head)["volumeMounts"], "shared-mem")["mountPath"] == "/dev/shm");
  // Without a limit the request sizes it.
  const json worker = desired_worker_pod_template(cluster, 0);
  CHECK(named(worker["spec"]["volumes"], "shared-mem")["emptyDir"]["sizeLimit"] == "3Gi");
}

TEST_CASE("ray container: /dev/shm is skipped with plasma-directory or an existing mount") {
  json cluster = seed_cluster();
  cluster["spec"]["headGroupSpec"]["rayStartParams"]["plasma-directory"] = "/data";
  CHECK(named(desired_head_pod_template(cluster)["spec"]["volumes"], "shared-mem").is_null());
  worker_container(cluster)["volumeMounts"] = {{{"name", "mine"}, {"mountPath", "/dev/shm"}}};
  const json worker = desired_worker_pod_template(cluster, 0);
  // The worker may have no volumes at all; a const json's operator[] must not see a missing key.
  CHECK(named(worker["spec"].value("volumes", json::array()), "shared-mem").is_null());
  CHECK(ray_of(worker)["volumeMounts"].size() == 1);
}

TEST_CASE("probes: exec wget probes before Ray 2.53.0, with KubeRay's timings") {
  const json head = ray_of(desired_head_pod_template(seed_cluster()));
  const std::string raylet =
      "wget --tries 1 -T 2 -q -O- http://localhost:52365/api/local_raylet_healthz | grep success";
  CHECK(head["livenessProbe"] ==
        json{{"initialDelaySeconds", 30},
             {"timeoutSeconds", 5},
             {"periodSeconds", 5},
             {"successThreshold", 1},
             {"failureThreshold", 120},
             {"exec",
              {{"command",
                {"bash", "-c",
                 raylet + " && wget --tries 1 -T 10 -q -O- "
                          "http://localhost:8265/api/gcs_healthz | grep success"}}}}});
  CHECK(head["readinessProbe"]["initialDelaySeconds"] == 10);
  CHECK(head["readinessProbe"]["failureThreshold"] == 10);
  const json worker = ray_of(desired_worker_pod_template(seed_cluster(), 0));
  CHECK(worker["readinessProbe"]["timeoutSeconds"] == 2);
  CHECK(worker["livenessProbe"]["timeoutSeconds"] == 2);
  CHECK(worker["readinessProbe"]["exec"]["command"] == json{"bash", "-c", raylet});
}

TEST_CASE("probes: httpGet /api/healthz on the agent port from Ray 2.53.0") {
  json cluster = seed_cluster();
  for (const char* version : {"2.53.0", "2.54.1", "3.0.0"}) {
    cluster["spec"]["rayVersion"] = version;
    const json ray = ray_of(desired_worker_pod_template(cluster, 0));
    CHECK(ray["livenessProbe"]["httpGet"] == json{{"path", "/api/healthz"}, {"port", 52365}});
    CHECK_FALSE(ray["livenessProbe"].contains("exec"));
  }
  for (const char* version : {"2.52.9", "", "nightly", "2.9.0"}) {
    cluster["spec"]["rayVersion"] = version;
    CHECK(ray_of(desired_worker_pod_template(cluster, 0))["readinessProbe"].contains("exec"));
  }
}

TEST_CASE("probes: a user's probe is kept and only the missing one is added") {
  json cluster = seed_cluster();
  const json mine = {{"tcpSocket", {{"port", 6379}}}};
  head_container(cluster)["livenessProbe"] = mine;
  const json ray = ray_of(desired_head_pod_template(cluster));
  CHECK(ray["livenessProbe"] == mine);
  CHECK(ray["readinessProbe"].contains("exec"));
}

TEST_CASE("head template: restartPolicy is Always because the head runs in a StatefulSet") {
  json cluster = seed_cluster();
  cluster["spec"]["autoscalerOptions"]["version"] = "v2";
  cluster["spec"]["headGroupSpec"]["template"]["spec"]["restartPolicy"] = "Never";
  CHECK(desired_head_pod_template(cluster)["spec"]["restartPolicy"] == "Always");
}

TEST_CASE("worker pod: restartPolicy defaults to Never, a template's value is kept") {
  json cluster = seed_cluster();
  CHECK(desired_worker_pod_template(cluster, 0)["spec"]["restartPolicy"] == "Never");
  worker_group(cluster)["template"]["spec"]["restartPolicy"] = "OnFailure";
  CHECK(desired_worker_pod_template(cluster, 0)["spec"]["restartPolicy"] == "OnFailure");
  // Autoscaler v2 relies on failed workers being replaced, never restarted in place.
  cluster["spec"]["autoscalerOptions"]["version"] = "v2";
  CHECK(desired_worker_pod_template(cluster, 0)["spec"]["restartPolicy"] == "Never");
}

TEST_CASE("worker template: wait-gcs-ready copies the Ray container and polls the GCS") {
  json cluster = seed_cluster();
  json& user = worker_container(cluster);
  user["imagePullPolicy"] = "Always";
  user["securityContext"] = {{"runAsUser", 1000}};
  user["env"] = {{{"name", "RAY_USE_TLS"}, {"value", "1"}}};
  user["volumeMounts"] = {{{"name", "tls"}, {"mountPath", "/etc/tls"}}};
  worker_group(cluster)["template"]["spec"]["initContainers"] = {{{"name", "mine"}}};
  const json inits = desired_worker_pod_template(cluster, 0)["spec"]["initContainers"];
  REQUIRE(inits.size() == 2);
  CHECK(inits[0]["name"] == "mine");
  CHECK(env_value(inits[0], "FQ_RAY_IP") == "basic-ray-cluster-head-svc.default.svc.cluster.local");
  const json& wait = inits[1];
  CHECK(wait["name"] == "wait-gcs-ready");
  CHECK(wait["image"] == "rayproject/ray:2.6.0");
  CHECK(wait["imagePullPolicy"] == "Always");
  CHECK(wait["securityContext"] == json{{"runAsUser", 1000}});
  CHECK(env_value(wait, "RAY_USE_TLS") == "1");
  CHECK(env_value(wait, "RAY_IP") == "basic-ray-cluster-head-svc");
  CHECK(wait["volumeMounts"] == json{{{"name", "tls"}, {"mountPath", "/etc/tls"}}});
  CHECK(wait["resources"]["limits"] == json{{"cpu", "200m"}, {"memory", "256Mi"}});
  CHECK(wait["resources"]["requests"] == wait["resources"]["limits"]);
  CHECK(wait["command"] == json{"/bin/bash", "-c", "--"});
  const std::string script = wait["args"][0];
  CHECK(script.rfind("GCS_ADDRESS=basic-ray-cluster-head-svc.default.svc.cluster.local:6379\n",
                     0) == 0);
  CHECK(script.find("ray health-check --address \"$GCS_ADDRESS\"") != std::string::npos);
  CHECK(script.find("sleep 5") != std::string::npos);
}

TEST_CASE("head template: no init container is injected into the head") {
  CHECK_FALSE(desired_head_pod_template(seed_cluster())["spec"].contains("initContainers"));
}

TEST_CASE("ports: a custom head port and metrics port move the env, ports and GCS wait") {
  json cluster = seed_cluster();
  cluster["spec"]["headGroupSpec"]["rayStartParams"] = {{"port", "6380"},
                                                        {"metrics-export-port", "9090"}};
  const json head = ray_of(desired_head_pod_template(cluster));
  CHECK(env_value(head, "RAY_PORT") == "6380");
  CHECK(env_value(head, "RAY_ADDRESS") == "127.0.0.1:6380");
  CHECK(named(head["ports"], "gcs-server")["containerPort"] == 6380);
  CHECK(named(head["ports"], "metrics")["containerPort"] == 9090);
  const json worker = desired_worker_pod_template(cluster, 0);
  CHECK(env_value(ray_of(worker), "RAY_ADDRESS") ==
        "basic-ray-cluster-head-svc.default.svc.cluster.local:6380");
  const std::string script = worker["spec"]["initContainers"][0]["args"][0];
  CHECK(script.rfind("GCS_ADDRESS=basic-ray-cluster-head-svc.default.svc.cluster.local:6380\n",
                     0) == 0);
}

TEST_CASE("gcs fault tolerance: the head's Redis env, namespace and flags, workers wait longer") {
  json cluster = seed_cluster();
  cluster["spec"]["gcsFaultToleranceOptions"] = json::parse(R"({
      "redisAddress": "redis://redis:6379",
      "redisPassword": {"valueFrom": {"secretKeyRef": {"name": "redis", "key": "password"}}}})");
  const json head = desired_head_pod_template(cluster);
  const json ray = ray_of(head);
  CHECK(named(ray["env"], "RAY_REDIS_ADDRESS")["value"] == "redis://redis:6379");
  CHECK(named(ray["env"], "REDIS_PASSWORD")["valueFrom"]["secretKeyRef"]["name"] == "redis");
  CHECK(named(ray["env"], "RAY_external_storage_namespace")["value"] == "uid-1234");
  CHECK(head["metadata"]["annotations"]["ray.io/external-storage-namespace"] == "uid-1234");
  const std::string args = ray["args"][0];
  CHECK(args.find("--redis-password=$REDIS_PASSWORD") != std::string::npos);
  CHECK(args.find("redis-username") == std::string::npos);
  const json worker = desired_worker_pod_template(cluster, 0)["spec"]["containers"][0];
  CHECK(named(worker["env"], "RAY_gcs_rpc_server_reconnect_timeout_s")["value"] == "600");
  CHECK(named(worker["env"], "REDIS_PASSWORD").is_null());

  cluster["spec"]["gcsFaultToleranceOptions"]["externalStorageNamespace"] = "shared";
  CHECK(named(ray_of(desired_head_pod_template(cluster))["env"],
              "RAY_external_storage_namespace")["value"] == "shared");
}

TEST_CASE("gcs fault tolerance: the annotation form keeps the user's env, rocksdb's env") {
  json cluster = seed_cluster();
  cluster["metadata"]["annotations"]["ray.io/ft-enabled"] = "true";
  cluster["metadata"]["annotations"]["ray.io/external-storage-namespace"] = "mine";
  json ray = ray_of(desired_head_pod_template(cluster));
  CHECK(named(ray["env"], "RAY_external_storage_namespace")["value"] == "mine");
  CHECK(named(ray["env"], "RAY_REDIS_ADDRESS").is_null());  // the user's own, in their env

  json rocks = seed_cluster();
  rocks["spec"]["gcsFaultToleranceOptions"] = {{"backend", "rocksdb"}};
  const json rocks_head = desired_head_pod_template(rocks);
  ray = ray_of(rocks_head);
  CHECK(named(ray["env"], "RAY_gcs_storage")["value"] == "rocksdb");
  CHECK(named(ray["env"], "RAY_gcs_storage_path")["value"] == "/data/gcs");
  CHECK(named(ray["env"], "RAY_external_storage_namespace").is_null());
  CHECK(named(ray["volumeMounts"], "gcs-storage") ==
        json{{"name", "gcs-storage"}, {"mountPath", "/data/gcs"}});
  CHECK(named(rocks_head["spec"]["volumes"], "gcs-storage")["persistentVolumeClaim"] ==
        json{{"claimName", "basic-ray-cluster-gcs-pvc"}});
  rocks["spec"]["gcsFaultToleranceOptions"]["storage"] = {{"claimName", "mine"},
                                                          {"subPath", "gcs"}};
  const json own_claim = desired_head_pod_template(rocks);
  CHECK(named(ray_of(own_claim)["volumeMounts"], "gcs-storage")["subPath"] == "gcs");
  CHECK(named(own_claim["spec"]["volumes"], "gcs-storage")["persistentVolumeClaim"]["claimName"] ==
        "mine");
  // Without fault tolerance, none of it.
  CHECK(
      named(ray_of(desired_head_pod_template(seed_cluster()))["env"], "RAY_gcs_storage").is_null());
}

TEST_CASE(
    "token auth: RAY_AUTH_MODE and the token's Secret in Ray, autoscaler and wait-gcs-ready") {
  json cluster = seed_cluster();
  cluster["spec"]["authOptions"] = {{"mode", "token"}};
  cluster["spec"]["enableInTreeAutoscaling"] = true;
  const json head = desired_head_pod_template(cluster);
  const json token_ref = json::parse(R"({"secretKeyRef": {"name": "basic-ray-cluster",
      "key": "auth_token"}})");
  CHECK(named(ray_of(head)["env"], "RAY_AUTH_MODE")["value"] == "token");
  CHECK(named(ray_of(head)["env"], "RAY_AUTH_TOKEN")["valueFrom"] == token_ref);
  const json autoscaler = named(head["spec"]["containers"], "autoscaler");
  CHECK(named(autoscaler["env"], "RAY_AUTH_TOKEN")["valueFrom"] == token_ref);
  const json worker = desired_worker_pod_template(cluster, 0);
  CHECK(named(ray_of(worker)["env"], "RAY_AUTH_TOKEN")["valueFrom"] == token_ref);
  const json wait = named(worker["spec"]["initContainers"], "wait-gcs-ready");
  CHECK(named(wait["env"], "RAY_AUTH_MODE")["value"] == "token");

  cluster["spec"]["authOptions"]["secretName"] = "mine";
  CHECK(named(ray_of(desired_head_pod_template(cluster))["env"],
              "RAY_AUTH_TOKEN")["valueFrom"]["secretKeyRef"]["name"] == "mine");
  cluster["spec"]["authOptions"]["mode"] = "disabled";
  CHECK(named(ray_of(desired_head_pod_template(cluster))["env"], "RAY_AUTH_MODE").is_null());
}

TEST_CASE("token auth: with enableK8sTokenAuth, the pod's projected token, no shared one") {
  json cluster = seed_cluster();
  cluster["spec"]["authOptions"] = {{"mode", "token"}, {"enableK8sTokenAuth", true}};
  const json worker = desired_worker_pod_template(cluster, 0);
  const json ray = ray_of(worker);
  CHECK(named(ray["env"], "RAY_ENABLE_K8S_TOKEN_AUTH")["value"] == "true");
  CHECK(named(ray["env"], "RAY_AUTH_TOKEN").is_null());
  CHECK(named(ray["volumeMounts"], "ray-token") ==
        json::parse(R"({"name": "ray-token", "mountPath": "/var/run/secrets/ray.io/serviceaccount",
            "readOnly": true})"));
  CHECK(named(worker["spec"]["volumes"], "ray-token")["projected"] ==
        json::parse(R"({"sources": [{"serviceAccountToken": {"path": "token"}}]})"));
}

TEST_CASE(
    "history collector: a sidecar in every Ray pod, Ray's events sent to it, /tmp/ray shared") {
  json cluster = seed_cluster();
  CHECK(named(desired_head_pod_template(cluster)["spec"]["containers"], "collector").is_null());
  cluster["spec"]["historyServerOptions"]["collectorOptions"] = json::parse(R"({
      "image": "kuberay/collector:v1.7.0",
      "env": [{"name": "STORAGE_BACKEND", "value": "s3"}, {"name": "S3_REGION", "value": "x"}]})");
  const json head = desired_head_pod_template(cluster);
  const json collector = named(head["spec"]["containers"], "collector");
  CHECK(collector["image"] == "kuberay/collector:v1.7.0");
  CHECK(collector["imagePullPolicy"] == "IfNotPresent");
  CHECK(collector["resources"]["limits"]["memory"] == "256Mi");
  std::vector<std::string> names;
  for (const auto& var : collector["env"]) names.push_back(var["name"]);
  CHECK(names == std::vector<std::string>{"POD_IP", "RAY_CLUSTER_NAME", "RAY_CLUSTER_NAMESPACE",
                                          "RAY_ROLE", "EVENTS_PORT", "FQ_RAY_IP",
                                          "RAY_DASHBOARD_ADDRESS", "STORAGE_BACKEND", "S3_REGION"});
  CHECK(named(collector["env"], "RAY_ROLE")["value"] == "Head");
  CHECK(named(collector["volumeMounts"], "ray-logs")["mountPath"] == "/tmp/ray");
  const json ray = ray_of(head);
  CHECK(named(ray["env"], "RAY_enable_ray_event")["value"] == "true");
  CHECK(named(ray["env"], "RAY_DASHBOARD_AGGREGATOR_AGENT_EVENTS_EXPORT_ADDR")["value"] ==
        "http://localhost:8084/v1/events");
  CHECK(named(ray["volumeMounts"], "ray-logs")["mountPath"] == "/tmp/ray");
  CHECK(named(head["spec"]["volumes"], "ray-logs")["emptyDir"] == json::object());

  const json worker =
      named(desired_worker_pod_template(cluster, 0)["spec"]["containers"], "collector");
  CHECK(named(worker["env"], "RAY_ROLE")["value"] == "Worker");
  CHECK(named(worker["env"], "RAY_DASHBOARD_ADDRESS").is_null());
}

TEST_CASE("tls: the certificate's volume, Ray's TLS env, and wait-for-tls-ip-san first") {
  json cluster = seed_cluster();
  cluster["spec"]["tlsOptions"] = {{"enabled", true}};
  const json head = desired_head_pod_template(cluster);
  CHECK(named(head["spec"]["volumes"], "ray-tls")["secret"]["secretName"] ==
        "basic-ray-cluster-head-tls");
  const json ray = ray_of(head);
  CHECK(named(ray["env"], "RAY_USE_TLS")["value"] == "1");
  CHECK(named(ray["env"], "RAY_TLS_SERVER_CERT")["value"] == "/etc/ray/tls/tls.crt");
  CHECK(named(ray["env"], "RAY_TLS_SERVER_KEY")["value"] == "/etc/ray/tls/tls.key");
  CHECK(named(ray["env"], "RAY_TLS_CA_CERT")["value"] == "/etc/ray/tls/ca.crt");
  CHECK(named(ray["volumeMounts"], "ray-tls")["mountPath"] == "/etc/ray/tls");
  CHECK(head["spec"]["initContainers"][0]["name"] == "wait-for-tls-ip-san");
  CHECK(named(head["spec"]["initContainers"][0]["env"],
              "POD_IP")["valueFrom"]["fieldRef"]["fieldPath"] == "status.podIP");

  const json worker = desired_worker_pod_template(cluster, 0);
  CHECK(named(worker["spec"]["volumes"], "ray-tls")["secret"]["secretName"] ==
        "basic-ray-cluster-worker-tls");
  CHECK(worker["spec"]["initContainers"][0]["name"] == "wait-for-tls-ip-san");
  const json wait = named(worker["spec"]["initContainers"], "wait-gcs-ready");
  CHECK(named(wait["env"], "RAY_USE_TLS")["value"] == "1");
  CHECK(named(desired_head_pod_template(seed_cluster())["spec"]["volumes"], "ray-tls").is_null());
}
