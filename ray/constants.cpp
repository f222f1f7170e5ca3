#include "ray/constants.hpp"

namespace ray {

std::string head_statefulset_name(const std::string& cluster) {
  return cluster + "-head";
}
std::string head_pod_name(const std::string& cluster) {
  return cluster + "-head-0";
}
std::string head_service_name(const std::string& cluster) {
  return cluster + "-head-svc";
}
std::string workers_service_name(const std::string& cluster) {
  return cluster + "-workers";
}
std::string worker_generate_name(const std::string& cluster, const std::string& group) {
  return cluster + "-" + group + "-worker-";
}
std::string autoscaler_rbac_name(const std::string& cluster) {
  return cluster;
}

}  // namespace ray
