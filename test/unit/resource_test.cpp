#include "k8s/resource.hpp"

#include <catch2/catch.hpp>

TEST_CASE("resource paths: core group, namespaced and across namespaces") {
  CHECK(k8s::resources::pods.collection_path("default") == "/api/v1/namespaces/default/pods");
  CHECK(k8s::resources::pods.collection_path() == "/api/v1/pods");
  CHECK(k8s::resources::pods.object_path("ns", "p-1") == "/api/v1/namespaces/ns/pods/p-1");
  CHECK(k8s::resources::pods.object_path("ns", "p-1", "status") ==
        "/api/v1/namespaces/ns/pods/p-1/status");
  CHECK(k8s::resources::pods.api_version() == "v1");
}

TEST_CASE("resource paths: grouped APIs, custom resources and cluster-scoped types") {
  CHECK(k8s::resources::statefulsets.object_path("a", "b") ==
        "/apis/apps/v1/namespaces/a/statefulsets/b");
  const k8s::resource rayclusters{"ray.io", "v1", "rayclusters", "RayCluster", true};
  CHECK(rayclusters.object_path("n", "c", "status") ==
        "/apis/ray.io/v1/namespaces/n/rayclusters/c/status");
  CHECK(rayclusters.api_version() == "ray.io/v1");
  // A namespace argument is ignored for cluster-scoped types.
  CHECK(k8s::resources::nodes.object_path("ignored", "node-1") == "/api/v1/nodes/node-1");
  CHECK(k8s::resources::customresourcedefinitions.collection_path() ==
        "/apis/apiextensions.k8s.io/v1/customresourcedefinitions");
}

TEST_CASE("resource paths: selectors are percent-encoded for the query string") {
  CHECK(k8s::url_encode("ray.io/cluster=a,app in (x, y)") ==
        "ray.io/cluster%3Da%2Capp%20in%20%28x%2C%20y%29");
  CHECK(k8s::url_encode("!ray.io/node-type") == "%21ray.io/node-type");
}
