// Mutual TLS between the cluster's Ray processes (spec.tlsOptions.enabled), with certificates
// from cert-manager as KubeRay gets them: a self-signed CA of the cluster's own, and one
// certificate for the head and one for the workers, issued by it, naming the pods' IPs (Ray's
// processes reach each other by IP). Every Ray pod mounts its certificate and waits, before Ray
// starts, until the certificate names its own IP.

#include <string>

#include "ray/children.hpp"
#include "ray/constants.hpp"
#include "ray/pod_parts.hpp"

namespace ray {

using detail::member;
using detail::text;
using nlohmann::json;

namespace {

constexpr const char* tls_volume = "ray-tls";
constexpr const char* tls_mount_path = "/etc/ray/tls";
constexpr const char* cert_manager_api = "cert-manager.io/v1";

json issuer_ref(const std::string& name) {
  return {{"name", name}, {"kind", "Issuer"}, {"group", "cert-manager.io"}};
}

json tls_object(const json& cluster, const char* kind, const std::string& name, json spec) {
  return detail::with_hash(
      {{"apiVersion", cert_manager_api},
       {"kind", kind},
       {"metadata",
        detail::child_metadata(cluster, name, detail::child_labels(cluster, std::nullopt))},
       {"spec", std::move(spec)}});
}

// The CA's Secret carries part of the uid: a cluster made again under the same name gets a CA
// of its own, not the one its predecessor's pods trusted.
std::string ca_secret_name(const json& cluster) {
  const std::string uid = text(member(member(cluster, "metadata"), "uid"));
  return detail::cluster_name(cluster) + "-ca" + (uid.empty() ? "" : "-" + uid.substr(0, 8));
}

void add_tls_env(json& container) {
  if (!container.is_object()) return;
  const std::string dir = tls_mount_path;
  detail::add_env(container, "RAY_USE_TLS", "1");
  detail::add_env(container, "RAY_TLS_SERVER_CERT", dir + "/tls.crt");
  detail::add_env(container, "RAY_TLS_SERVER_KEY", dir + "/tls.key");
  detail::add_env(container, "RAY_TLS_CA_CERT", dir + "/ca.crt");
  detail::add_mount(container,
                    {{"name", tls_volume}, {"mountPath", tls_mount_path}, {"readOnly", true}});
}

// Waits until cert-manager has put this pod's IP into the certificate: before that, peers that
// check the IP refuse the pod's connections.
json wait_for_ip_san(const json& ray_container) {
  const std::string script =
      std::string("CERT=") + tls_mount_path +
      "/tls.crt\n"
      "command -v openssl >/dev/null 2>&1 || { echo 'openssl not found: cannot check the "
      "certificate' >&2; exit 1; }\n"
      "until openssl x509 -in \"$CERT\" -noout -text 2>/dev/null | "
      "grep -qE \"IP Address:${POD_IP}([^0-9.]|$)\"; do\n"
      "  echo \"waiting for the certificate to name ${POD_IP}\"; sleep 5\n"
      "done\n";
  json init = {
      {"name", "wait-for-tls-ip-san"},
      {"image", member(ray_container, "image")},
      {"command", {"sh", "-c"}},
      {"args", {script}},
      {"env", json::array()},
      {"volumeMounts", {{{"name", tls_volume}, {"mountPath", tls_mount_path}, {"readOnly", true}}}},
      {"resources",
       {{"requests", {{"cpu", "50m"}, {"memory", "64Mi"}}},
        {"limits", {{"cpu", "50m"}, {"memory", "64Mi"}}}}}};
  if (member(ray_container, "imagePullPolicy").is_string())
    init["imagePullPolicy"] = ray_container["imagePullPolicy"];
  if (member(ray_container, "securityContext").is_object())
    init["securityContext"] = ray_container["securityContext"];
  detail::add_field_env(init, "POD_IP", "status.podIP");
  return init;
}

}  // namespace

bool tls_enabled(const json& cluster) {
  return detail::flag(member(member(cluster, "spec"), "tlsOptions"), "enabled");
}

std::string tls_certificate_name(const std::string& cluster, bool head) {
  return cluster + (head ? "-head" : "-worker");
}

std::string tls_secret_name(const std::string& cluster, bool head) {
  return tls_certificate_name(cluster, head) + "-tls";
}

std::vector<json> desired_tls_authority(const json& cluster) {
  if (!tls_enabled(cluster)) return {};
  const std::string name = detail::cluster_name(cluster);
  return {
      tls_object(cluster, "Issuer", name + "-selfsigned", {{"selfSigned", json::object()}}),
      tls_object(cluster, "Certificate", name + "-ca",
                 {{"isCA", true},
                  {"commonName", name + "-ca"},
                  {"secretName", ca_secret_name(cluster)},
                  {"duration", "87600h"},
                  {"privateKey", {{"algorithm", "ECDSA"}, {"size", 256}}},
                  {"issuerRef", issuer_ref(name + "-selfsigned")}}),
      tls_object(cluster, "Issuer", name + "-ca",
                 {{"ca", {{"secretName", ca_secret_name(cluster)}}}}),
  };
}

json desired_tls_certificate(const json& cluster, bool head, const std::vector<std::string>& ips) {
  if (!tls_enabled(cluster)) return nullptr;
  const std::string name = detail::cluster_name(cluster);
  const std::string ns = detail::cluster_namespace(cluster);
  json dns = json::array({"localhost"});
  if (head) {
    const std::string svc = detail::head_service(cluster);
    for (const std::string& n :
         {svc, svc + "." + ns, svc + "." + ns + ".svc", detail::head_fqdn(cluster)})
      dns.push_back(n);
  } else {
    dns.push_back("*." + name + "-workers." + ns + ".svc.cluster.local");
  }
  json addresses = json::array({"127.0.0.1"});
  for (const auto& ip : ips) addresses.push_back(ip);
  return tls_object(
      cluster, "Certificate", tls_certificate_name(name, head),
      {{"secretName", tls_secret_name(name, head)},
       {"commonName", tls_certificate_name(name, head)},
       {"duration", "2160h"},
       {"renewBefore", "360h"},
       {"usages", {"digital signature", "key encipherment", "server auth", "client auth"}},
       {"privateKey", {{"algorithm", "ECDSA"}, {"size", 256}}},
       {"dnsNames", std::move(dns)},
       {"ipAddresses", std::move(addresses)},
       {"issuerRef", issuer_ref(name + "-ca")}});
}

void add_tls(json& pod_template, const json& cluster, bool head) {
  if (!tls_enabled(cluster)) return;
  json& spec = pod_template["spec"];
  detail::add_volume(
      spec, {{"name", tls_volume},
             {"secret", {{"secretName", tls_secret_name(detail::cluster_name(cluster), head)}}}});
  json& containers = spec["containers"];
  if (!containers.is_array() || containers.empty()) return;
  for (size_t i = 0; i < containers.size(); ++i)
    if (i == ray_container_index || text(member(containers[i], "name")) == autoscaler_container)
      add_tls_env(containers[i]);
  json& inits = spec["initContainers"];
  if (!inits.is_array()) inits = json::array();
  for (auto& init : inits)
    if (text(member(init, "name")) == "wait-gcs-ready") add_tls_env(init);
  for (const auto& init : inits)
    if (text(member(init, "name")) == "wait-for-tls-ip-san") return;
  inits.insert(inits.begin(), wait_for_ip_san(containers[ray_container_index]));
}

}  // namespace ray
