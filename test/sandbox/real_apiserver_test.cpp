// The k8s/ client against the sandbox's real kube-apiserver: pagination, a watch resumed after
// the server ends it, and a 410 Gone after etcd compacted the history, as the server sends it.

#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <random>
#include <thread>

#include "k8s/client.hpp"
#include "k8s/config.hpp"
#include "k8s/watcher.hpp"

using namespace std::chrono_literals;
using nlohmann::json;

namespace {

k8s::config sandbox_config() {
  const char* path = std::getenv("KUBECONFIG");
  REQUIRE(path != nullptr);
  return k8s::load_kubeconfig(path);
}

template <class T, class Start>
k8s::result<T> await(Start&& start) {
  auto p = std::make_shared<std::promise<k8s::result<T>>>();
  auto f = p->get_future();
  start([p](k8s::result<T> r) { p->set_value(std::move(r)); });
  REQUIRE(f.wait_for(30s) == std::future_status::ready);
  return f.get();
}

// A namespace of its own for each test case, deleted at the end.
struct scratch_namespace {
  k8s::client& api;
  std::string name;
  explicit scratch_namespace(k8s::client& c) : api(c) {
    std::mt19937 rng{std::random_device{}()};
    name = "client-test-" + std::to_string(rng() % 1000000);
    auto r = await<json>([&](auto cb) {
      api.create(k8s::resources::namespaces, "", {{"metadata", {{"name", name}}}}, cb);
    });
    REQUIRE(r.ok());
  }
  ~scratch_namespace() {
    api.remove(k8s::resources::namespaces, "", name, {}, [](k8s::result<json>) {});
  }
};

json configmap(const std::string& name, const std::string& label) {
  return {{"metadata", {{"name", name}, {"labels", {{"test", label}}}}}, {"data", {{"k", "v"}}}};
}

}  // namespace

TEST_CASE("real apiserver: list_all pages through a collection with limit and continue") {
  k8s::client api(sandbox_config());
  scratch_namespace ns(api);
  for (int i = 0; i < 7; ++i)
    REQUIRE(await<json>([&](auto cb) {
              api.create(k8s::resources::configmaps, ns.name,
                         configmap("page-" + std::to_string(i), "paged"), cb);
            }).ok());
  std::atomic<int> lists{0};
  api.set_observer([&](const k8s::request_record& r) {
    if (r.verb == "list") ++lists;
  });
  k8s::list_options o;
  o.limit = 3;
  o.label_selector = "test=paged";
  auto r = await<json>([&](auto cb) { api.list_all(k8s::resources::configmaps, ns.name, o, cb); });
  REQUIRE(r.ok());
  CHECK(r.value()["items"].size() == 7);
  CHECK(lists == 3);  // 3 + 3 + 1
}

TEST_CASE("real apiserver: a watch the server ends is resumed without a relist") {
  k8s::client api(sandbox_config());
  scratch_namespace ns(api);
  std::mutex m;
  std::condition_variable cv;
  std::vector<std::string> applied;
  k8s::watcher_options o;
  o.timeout = 2s;  // the server ends each watch after 2 s
  o.label_selector = "test=resume";
  k8s::watcher w(api, k8s::resources::configmaps, ns.name, o, [&](k8s::watcher_event e) {
    if (e.type != k8s::watcher_event::kind::apply) return;
    std::lock_guard<std::mutex> lock(m);
    applied.push_back(e.object["metadata"]["name"].get<std::string>());
    cv.notify_all();
  });
  w.start();
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (!w.synced() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(20ms);
  REQUIRE(w.synced());
  // Wait until the server has ended the first watch and the watcher has resumed.
  while (w.watch_restarts() < 1 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(50ms);
  REQUIRE(w.watch_restarts() >= 1);
  REQUIRE(await<json>([&](auto cb) {
            api.create(k8s::resources::configmaps, ns.name, configmap("after-resume", "resume"),
                       cb);
          }).ok());
  std::unique_lock<std::mutex> lock(m);
  REQUIRE(cv.wait_for(lock, 20s, [&] { return !applied.empty(); }));
  CHECK(applied.front() == "after-resume");
  CHECK(w.relists() == 0);
}

TEST_CASE("real apiserver: a continue token outlived by an etcd compaction is 410 Gone") {
  k8s::client api(sandbox_config());
  scratch_namespace ns(api);
  for (int i = 0; i < 3; ++i)
    REQUIRE(await<json>([&](auto cb) {
              api.create(k8s::resources::configmaps, ns.name,
                         configmap("old-" + std::to_string(i), "compact"), cb);
            }).ok());
  k8s::list_options o;
  o.limit = 1;
  o.label_selector = "test=compact";
  auto first = await<json>([&](auto cb) { api.list(k8s::resources::configmaps, ns.name, o, cb); });
  REQUIRE(first.ok());
  o.continue_token = first.value()["metadata"]["continue"].get<std::string>();
  REQUIRE_FALSE(o.continue_token.empty());

  // A write moves the revision on; then etcd is compacted past the token's revision, as the API
  // server itself does every few minutes.
  REQUIRE(await<json>([&](auto cb) {
            api.create(k8s::resources::configmaps, ns.name, configmap("newer", "other"), cb);
          }).ok());
  const std::string dir = std::string(std::getenv("KUBECONFIG"));
  const std::string state = dir.substr(0, dir.rfind('/'));
  const std::string cmd =
      ". " + state +
      "/ports && ETCDCTL_API=3 etcdctl --endpoints=http://127.0.0.1:$ETCD_CLIENT_PORT"
      " compact $(ETCDCTL_API=3 etcdctl --endpoints=http://127.0.0.1:$ETCD_CLIENT_PORT"
      " get /registry --prefix --keys-only --limit=1 -w json | jq .header.revision) >/dev/null";
  REQUIRE(std::system(("bash -c '" + cmd + "'").c_str()) == 0);

  auto next = await<json>([&](auto cb) { api.list(k8s::resources::configmaps, ns.name, o, cb); });
  REQUIRE_FALSE(next.ok());
  CHECK(next.error().kind() == k8s::error_kind::gone);
  CHECK(next.error().http_code() == 410);
  CHECK(next.error().reason() == "Expired");
}
