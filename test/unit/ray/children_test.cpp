#include "ray/children.hpp"

#include <catch2/catch.hpp>

#include "cluster_fixture.hpp"

using namespace ray;
using namespace ray_test;
using nlohmann::json;

namespace {

std::vector<json> all_children(const json& cluster) {
  return {desired_head_statefulset(cluster),
          desired_head_service(cluster),
          desired_workers_service(cluster),
          desired_worker_pod(cluster, 0),
          desired_autoscaler_service_account(cluster),
          desired_autoscaler_role(cluster),
          desired_autoscaler_role_binding(cluster)};
}

json port_names(const json& ports) {
  json names = json::array();
  for (const auto& p : ports) names.push_back(p["name"]);
  return names;
}

}  // namespace

TEST_CASE("children: every object has identity, labels, a controller reference and its hash") {
  const json cluster = seed_cluster();
  for (const json& child : all_children(cluster)) {
    INFO(child.dump());
    CHECK(child["apiVersion"].is_string());
    CHECK(child["kind"].is_string());
    const json& meta = child["metadata"];
    CHECK((meta.contains("name") || meta.contains("generateName")));
    CHECK(meta["namespace"] == "default");
    CHECK(meta["labels"]["ray.io/cluster"] == "basic-ray-cluster");
    CHECK(meta["labels"]["app.kubernetes.io/name"] == "kuberay");
    CHECK(meta["labels"]["app.kubernetes.io/created-by"] == "ray-operator");
    CHECK(meta["ownerReferences"] == json::parse(R"([{"apiVersion": "ray.io/v1",
        "kind": "RayCluster", "name": "basic-ray-cluster", "uid": "uid-1234",
        "controller": true, "blockOwnerDeletion": true}])"));
    CHECK(meta["annotations"]["ray.io/desired-spec-hash"] == desired_spec_hash(child));
  }
}

TEST_CASE("head statefulset: one replica, none when suspended") {
  json cluster = seed_cluster();
  CHECK(desired_head_statefulset(cluster)["spec"]["replicas"] == 1);
  cluster["spec"]["suspend"] = true;
  CHECK(desired_head_statefulset(cluster)["spec"]["replicas"] == 0);
}

TEST_CASE("head statefulset: name, selector, service, policies and the head template") {
  const json cluster = seed_cluster();
  const json sts = desired_head_statefulset(cluster);
  CHECK(sts["apiVersion"] == "apps/v1");
  CHECK(sts["kind"] == "StatefulSet");
  CHECK(sts["metadata"]["name"] == "basic-ray-cluster-head");
  CHECK(sts["metadata"]["labels"]["ray.io/node-type"] == "head");
  CHECK(sts["metadata"]["labels"]["ray.io/identifier"] == "basic-ray-cluster-head");
  const json& spec = sts["spec"];
  CHECK(spec["serviceName"] == "basic-ray-cluster-head-svc");
  CHECK(spec["selector"] == json::parse(R"({"matchLabels":
      {"ray.io/cluster": "basic-ray-cluster", "ray.io/node-type": "head"}})"));
  CHECK(spec["podManagementPolicy"] == "Parallel");
  // The operator replaces the head itself, as the cluster's upgradeStrategy says.
  CHECK(spec["updateStrategy"] == json{{"type", "OnDelete"}});
  CHECK(spec["template"] == desired_head_pod_template(cluster));
  for (const auto& [key, value] : spec["selector"]["matchLabels"].items()) {
    CHECK(spec["template"]["metadata"]["labels"][key] == value);
  }
  CHECK_FALSE(spec.contains("volumeClaimTemplates"));
}

TEST_CASE("head statefulset: volumeClaimTemplates are passed through") {
  json cluster = seed_cluster();
  const json claims = json::parse(R"([{"metadata": {"name": "gcs"}, "spec": {
      "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}])");
  cluster["spec"]["headGroupSpec"]["volumeClaimTemplates"] = claims;
  CHECK(desired_head_statefulset(cluster)["spec"]["volumeClaimTemplates"] == claims);
}

TEST_CASE("head service: the five default ports when the container names none") {
  const json svc = desired_head_service(seed_cluster());
  CHECK(svc["metadata"]["name"] == "basic-ray-cluster-head-svc");
  CHECK(svc["spec"]["ports"] == json::parse(R"([
    {"name": "client", "port": 10001, "appProtocol": "tcp"},
    {"name": "dashboard", "port": 8265, "appProtocol": "tcp"},
    {"name": "gcs-server", "port": 6379, "appProtocol": "tcp"},
    {"name": "metrics", "port": 8080, "appProtocol": "tcp"},
    {"name": "serve", "port": 8000, "appProtocol": "tcp"}])"));
}

TEST_CASE("head service: the container's ports, sorted by name, with metrics added") {
  json cluster = seed_cluster();
  head_container(cluster)["ports"] = json::parse(R"([
    {"name": "gcs", "containerPort": 6379}, {"name": "dash", "containerPort": 8265},
    {"containerPort": 7000}])");
  const json ports = desired_head_service(cluster)["spec"]["ports"];
  CHECK(port_names(ports) == json{"7000-port", "dash", "gcs", "metrics"});
  CHECK(named(ports, "metrics")["port"] == 8080);
  CHECK(named(ports, "gcs") == json{{"name", "gcs"}, {"port", 6379}, {"appProtocol", "tcp"}});
}

TEST_CASE("head service: a normal ClusterIP service, not headless, type from serviceType") {
  json cluster = seed_cluster();
  json svc = desired_head_service(cluster);
  CHECK(svc["spec"]["type"] == "ClusterIP");
  CHECK_FALSE(svc["spec"].contains("clusterIP"));
  CHECK_FALSE(svc["spec"].contains("publishNotReadyAddresses"));
  CHECK(svc["spec"]["selector"] ==
        json{{"ray.io/cluster", "basic-ray-cluster"}, {"ray.io/node-type", "head"}});
  CHECK(svc["metadata"]["labels"]["ray.io/node-type"] == "head");
  CHECK(svc["metadata"]["labels"]["ray.io/identifier"] == "basic-ray-cluster-head");
  cluster["spec"]["headGroupSpec"]["serviceType"] = "LoadBalancer";
  CHECK(desired_head_service(cluster)["spec"]["type"] == "LoadBalancer");
}

TEST_CASE(
    "head service: headService.metadata.name names it, and everything that reaches the head") {
  json cluster = seed_cluster();
  cluster["spec"]["headGroupSpec"]["headService"] = {{"metadata", {{"name", "ray-head"}}}};
  CHECK(desired_head_service(cluster)["metadata"]["name"] == "ray-head");
  // A StatefulSet's serviceName is immutable: renaming the Service must not need a new one.
  CHECK(desired_head_statefulset(cluster)["spec"]["serviceName"] == "basic-ray-cluster-head-svc");
  const json worker = desired_worker_pod(cluster, 0)["spec"]["containers"][0];
  CHECK(named(worker["env"], "RAY_IP")["value"] == "ray-head");
  CHECK(named(worker["env"], "FQ_RAY_IP")["value"] == "ray-head.default.svc.cluster.local");
  CHECK(worker["args"][0].get<std::string>().find(
            "--address=ray-head.default.svc.cluster.local:6379") != std::string::npos);
}

TEST_CASE("head service: a user headService and annotations are merged, ours win") {
  json cluster = seed_cluster();
  cluster["spec"]["headServiceAnnotations"] = {{"lb", "internal"}, {"shared", "from-cluster"}};
  cluster["spec"]["headGroupSpec"]["headService"] = json::parse(R"({
    "metadata": {"labels": {"team": "ml", "ray.io/cluster": "other"},
                 "annotations": {"shared": "from-service", "only": "service"}},
    "spec": {"type": "NodePort", "selector": {"app": "x"}, "sessionAffinity": "ClientIP",
             "ports": [{"name": "dashboard", "port": 80, "targetPort": 8265}]}})");
  const json svc = desired_head_service(cluster);
  CHECK(svc["metadata"]["name"] == "basic-ray-cluster-head-svc");
  CHECK(svc["metadata"]["labels"]["team"] == "ml");
  CHECK(svc["metadata"]["labels"]["ray.io/cluster"] == "basic-ray-cluster");
  CHECK(svc["metadata"]["annotations"]["lb"] == "internal");
  CHECK(svc["metadata"]["annotations"]["shared"] == "from-cluster");
  CHECK(svc["metadata"]["annotations"]["only"] == "service");
  CHECK(svc["spec"]["type"] == "NodePort");
  CHECK(svc["spec"]["sessionAffinity"] == "ClientIP");
  CHECK(svc["spec"]["selector"] ==
        json{{"ray.io/cluster", "basic-ray-cluster"}, {"ray.io/node-type", "head"}});
  // The user's dashboard port stays; the default of that name is not added twice.
  CHECK(port_names(svc["spec"]["ports"]) ==
        json{"client", "dashboard", "gcs-server", "metrics", "serve"});
  CHECK(named(svc["spec"]["ports"], "dashboard")["port"] == 80);
}

TEST_CASE("workers service: headless, publishNotReadyAddresses, selects the workers, no ports") {
  const json svc = desired_workers_service(seed_cluster());
  CHECK(svc["metadata"]["name"] == "basic-ray-cluster-workers");
  CHECK(svc["spec"]["clusterIP"] == "None");
  CHECK(svc["spec"]["publishNotReadyAddresses"] == true);
  CHECK(svc["spec"]["selector"] ==
        json{{"ray.io/cluster", "basic-ray-cluster"}, {"ray.io/node-type", "worker"}});
  CHECK_FALSE(svc["spec"].contains("ports"));
}

TEST_CASE("worker pod: generateName, namespace, the template's labels and spec") {
  json cluster = seed_cluster();
  worker_group(cluster)["template"]["metadata"] = {
      {"labels", {{"team", "ml"}}}, {"annotations", {{"note", "x"}}}, {"name", "fixed-name"}};
  const json pod = desired_worker_pod(cluster, 0);
  const json tmpl = desired_worker_pod_template(cluster, 0);
  CHECK(pod["apiVersion"] == "v1");
  CHECK(pod["kind"] == "Pod");
  CHECK(pod["metadata"]["generateName"] == "basic-ray-cluster-small-worker-worker-");
  CHECK_FALSE(pod["metadata"].contains("name"));
  CHECK(pod["metadata"]["labels"] == tmpl["metadata"]["labels"]);
  CHECK(pod["metadata"]["labels"]["team"] == "ml");
  CHECK(pod["metadata"]["annotations"]["note"] == "x");
  CHECK(pod["spec"] == tmpl["spec"]);
  CHECK(desired_worker_pod(cluster, 5).is_null());
}

TEST_CASE("worker pod: a template change changes the hash, a replicas change does not") {
  json cluster = seed_cluster();
  const std::string before =
      desired_worker_pod(cluster, 0)["metadata"]["annotations"]["ray.io/desired-spec-hash"];
  worker_group(cluster)["replicas"] = 3;
  CHECK(desired_worker_pod(cluster, 0)["metadata"]["annotations"]["ray.io/desired-spec-hash"] ==
        before);
  worker_container(cluster)["image"] = "rayproject/ray:2.7.0";
  CHECK(desired_worker_pod(cluster, 0)["metadata"]["annotations"]["ray.io/desired-spec-hash"] !=
        before);
}

TEST_CASE("spec hash: changes when the desired object changes and ignores the annotation itself") {
  json obj = desired_head_service(seed_cluster());
  const std::string hash = desired_spec_hash(obj);
  CHECK(hash == obj["metadata"]["annotations"]["ray.io/desired-spec-hash"]);
  obj["metadata"]["annotations"]["ray.io/desired-spec-hash"] = "something-else";
  CHECK(desired_spec_hash(obj) == hash);
  obj["metadata"]["annotations"].erase("ray.io/desired-spec-hash");
  CHECK(desired_spec_hash(obj) == hash);
  obj["spec"]["type"] = "NodePort";
  CHECK(desired_spec_hash(obj) != hash);
}

TEST_CASE("spec hash: the first 16 hex digits of SHA-256 over the key-sorted dump") {
  CHECK(desired_spec_hash(json::object()) == "44136fa355b3678a");
  CHECK(desired_spec_hash(json::parse(R"({"b": "x", "a": 1})")) == "ecf9e98ec0641e23");
  // An object whose only annotation is the hash hashes like one without annotations.
  CHECK(desired_spec_hash({{"metadata", {{"annotations", {{"ray.io/desired-spec-hash", "x"}}}}}}) ==
        desired_spec_hash({{"metadata", json::object()}}));
  CHECK(desired_spec_hash("bad \xff utf-8").size() == 16);
}

TEST_CASE("gcs storage claim: rocksdb's <C>-gcs-pvc, 1Gi ReadWriteOnce by default, owned") {
  json cluster = seed_cluster();
  CHECK(desired_gcs_storage_claim(cluster).is_null());
  cluster["spec"]["gcsFaultToleranceOptions"] = {{"backend", "rocksdb"}};
  const json claim = desired_gcs_storage_claim(cluster);
  CHECK(claim["kind"] == "PersistentVolumeClaim");
  CHECK(claim["metadata"]["name"] == "basic-ray-cluster-gcs-pvc");
  CHECK(claim["metadata"]["labels"]["ray.io/cluster"] == "basic-ray-cluster");
  CHECK(claim["metadata"]["ownerReferences"][0]["uid"] == "uid-1234");
  CHECK(claim["spec"] == json::parse(R"({"accessModes": ["ReadWriteOnce"],
      "resources": {"requests": {"storage": "1Gi"}}})"));
}

TEST_CASE(
    "gcs storage claim: size, class and modes as given, Retain has no owner, claimName none") {
  json cluster = seed_cluster();
  cluster["spec"]["gcsFaultToleranceOptions"] = json::parse(R"({"backend": "rocksdb",
      "storage": {"size": "5Gi", "storageClassName": "fast", "accessModes": ["ReadWriteOncePod"],
                  "deletionPolicy": "Retain"}})");
  const json claim = desired_gcs_storage_claim(cluster);
  CHECK(claim["spec"] == json::parse(R"({"accessModes": ["ReadWriteOncePod"],
      "storageClassName": "fast", "resources": {"requests": {"storage": "5Gi"}}})"));
  CHECK_FALSE(claim["metadata"].contains("ownerReferences"));
  cluster["spec"]["gcsFaultToleranceOptions"]["storage"] = {{"claimName", "mine"}};
  CHECK(desired_gcs_storage_claim(cluster).is_null());
  cluster["spec"]["gcsFaultToleranceOptions"].erase("backend");  // redis: no claim at all
  CHECK(desired_gcs_storage_claim(cluster).is_null());
}

TEST_CASE("head ingress: only with enableIngress, KubeRay's path, the class from the annotation") {
  json cluster = seed_cluster();
  CHECK(desired_head_ingress(cluster).is_null());
  cluster["spec"]["headGroupSpec"]["enableIngress"] = true;
  cluster["metadata"]["annotations"] = {{"kubernetes.io/ingress.class", "nginx"},
                                        {"nginx.ingress.kubernetes.io/rewrite-target", "/$1"}};
  const json ingress = desired_head_ingress(cluster);
  CHECK(ingress["apiVersion"] == "networking.k8s.io/v1");
  CHECK(ingress["metadata"]["name"] == "basic-ray-cluster-head-ingress");
  CHECK(ingress["metadata"]["labels"]["ray.io/identifier"] == "basic-ray-cluster-head");
  CHECK(ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/rewrite-target"] == "/$1");
  CHECK_FALSE(ingress["metadata"]["annotations"].contains("kubernetes.io/ingress.class"));
  CHECK(ingress["spec"] == json::parse(R"J({"ingressClassName": "nginx", "rules": [{"http": {
      "paths": [{"path": "/basic-ray-cluster/(.*)", "pathType": "Exact", "backend": {"service": {
      "name": "basic-ray-cluster-head-svc", "port": {"number": 8265}}}}]}}]})J"));
}

TEST_CASE("head ingress: ingressOptions give host, path, path type and TLS, the dashboard port") {
  json cluster = seed_cluster();
  cluster["spec"]["headGroupSpec"]["enableIngress"] = true;
  cluster["spec"]["headGroupSpec"]["ingressOptions"] = json::parse(R"({"host": "ray.example.com",
      "tls": [{"hosts": ["ray.example.com"], "secretName": "ray-tls"}]})");
  head_container(cluster)["ports"] =
      json::parse(R"([{"name": "dashboard", "containerPort": 9000}])");
  const json spec = desired_head_ingress(cluster)["spec"];
  CHECK(spec["rules"][0]["host"] == "ray.example.com");
  CHECK(spec["rules"][0]["http"]["paths"][0]["path"] == "/");
  CHECK(spec["rules"][0]["http"]["paths"][0]["pathType"] == "Prefix");
  CHECK(spec["rules"][0]["http"]["paths"][0]["backend"]["service"]["port"]["number"] == 9000);
  CHECK(spec["tls"][0]["secretName"] == "ray-tls");
  CHECK_FALSE(spec.contains("ingressClassName"));
}

TEST_CASE("network policies: head and each group, the cluster's own pods first, then the user's") {
  json cluster = seed_cluster();
  CHECK(desired_network_policies(cluster).empty());
  cluster["spec"]["networkPolicy"] = json::parse(R"({
      "head": {"ingressRules": [{"ports": [{"port": 8265}]}]},
      "worker": {"egressRules": [{"ports": [{"port": 53, "protocol": "UDP"}]}]}})");
  const auto policies = desired_network_policies(cluster);
  REQUIRE(policies.size() == 2);
  const json& head = policies[0];
  CHECK(head["metadata"]["name"] == "basic-ray-cluster-head");
  CHECK(head["spec"]["podSelector"]["matchLabels"] ==
        json{{"ray.io/cluster", "basic-ray-cluster"}, {"ray.io/node-type", "head"}});
  CHECK(head["spec"]["policyTypes"] == json{"Ingress", "Egress"});
  const json own =
      json::parse(R"([{"podSelector": {"matchLabels": {"ray.io/cluster": "basic-ray-cluster"}}}])");
  CHECK(head["spec"]["ingress"] ==
        json::array({{{"from", own}}, json::parse(R"({"ports": [{"port": 8265}]})")}));
  CHECK(head["spec"]["egress"] == json::array({{{"to", own}}}));
  const json& workers = policies[1];
  CHECK(workers["metadata"]["name"] == "basic-ray-cluster-workers-small-worker");
  CHECK(workers["spec"]["podSelector"]["matchLabels"]["ray.io/group"] == "small-worker");
  CHECK(workers["spec"]["egress"].size() == 2);
}

TEST_CASE("network policies: the mode opens a direction, a group's entry replaces the worker's") {
  json cluster = seed_cluster();
  cluster["spec"]["networkPolicy"] = json::parse(R"({"mode": "DenyAllIngress",
      "worker": {"ingressRules": [{"ports": [{"port": 1}]}]},
      "workerGroups": [{"groupName": "small-worker", "ingressRules": [{"ports": [{"port": 2}]}]}]})");
  const auto policies = desired_network_policies(cluster);
  REQUIRE(policies.size() == 2);
  CHECK(policies[1]["spec"]["policyTypes"] == json{"Ingress"});
  CHECK_FALSE(policies[1]["spec"].contains("egress"));
  CHECK(policies[1]["spec"]["ingress"][1]["ports"][0]["port"] == 2);
  CHECK(policies[1]["spec"]["ingress"].size() == 2);
}

TEST_CASE("auth secret: <C> for a shared token the operator makes, none when the user names one") {
  json cluster = seed_cluster();
  CHECK(desired_auth_secret(cluster).is_null());
  cluster["spec"]["authOptions"] = {{"mode", "token"}};
  const json secret = desired_auth_secret(cluster);
  CHECK(secret["kind"] == "Secret");
  CHECK(secret["metadata"]["name"] == "basic-ray-cluster");
  CHECK(secret["metadata"]["ownerReferences"][0]["kind"] == "RayCluster");
  CHECK_FALSE(secret.contains("data"));  // the token is the operator's, made at creation
  cluster["spec"]["authOptions"]["secretName"] = "mine";
  CHECK(desired_auth_secret(cluster).is_null());
  cluster["spec"]["authOptions"] = {{"mode", "token"}, {"enableK8sTokenAuth", true}};
  CHECK(desired_auth_secret(cluster).is_null());
}

TEST_CASE("tls objects: the cluster's own CA, and certificates naming the pods' IPs") {
  json cluster = seed_cluster();
  CHECK(desired_tls_authority(cluster).empty());
  CHECK(desired_tls_certificate(cluster, true, {}).is_null());
  cluster["spec"]["tlsOptions"] = {{"enabled", true}};
  const auto authority = desired_tls_authority(cluster);
  REQUIRE(authority.size() == 3);
  CHECK(authority[0]["kind"] == "Issuer");
  CHECK(authority[0]["spec"] == json{{"selfSigned", json::object()}});
  CHECK(authority[1]["kind"] == "Certificate");
  CHECK(authority[1]["spec"]["isCA"] == true);
  CHECK(authority[1]["spec"]["secretName"] == "basic-ray-cluster-ca-uid-1234");
  CHECK(authority[2]["spec"]["ca"]["secretName"] == "basic-ray-cluster-ca-uid-1234");
  for (const auto& o : authority) CHECK(o["apiVersion"] == "cert-manager.io/v1");

  const json head = desired_tls_certificate(cluster, true, {"10.0.0.7"});
  CHECK(head["metadata"]["name"] == "basic-ray-cluster-head");
  CHECK(head["spec"]["secretName"] == "basic-ray-cluster-head-tls");
  CHECK(head["spec"]["ipAddresses"] == json{"127.0.0.1", "10.0.0.7"});
  CHECK(head["spec"]["issuerRef"]["name"] == "basic-ray-cluster-ca");
  CHECK(head["spec"]["dnsNames"].back() == "basic-ray-cluster-head-svc.default.svc.cluster.local");
  const json workers = desired_tls_certificate(cluster, false, {"10.0.0.8", "10.0.0.9"});
  CHECK(workers["spec"]["ipAddresses"] == json{"127.0.0.1", "10.0.0.8", "10.0.0.9"});
  CHECK(workers["spec"]["dnsNames"][1] == "*.basic-ray-cluster-workers.default.svc.cluster.local");
  // Another IP is another certificate: the hash moves, so the operator patches it.
  CHECK(desired_tls_certificate(cluster, false, {"10.0.0.8"})["metadata"]["annotations"] !=
        workers["metadata"]["annotations"]);
}
