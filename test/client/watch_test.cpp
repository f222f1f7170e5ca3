// list+watch against a scripted server: streaming, resume, relist, bookmarks, stop.

#include <atomic>
#include <catch2/catch.hpp>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "k8s/watcher.hpp"
#include "test/client/client_fixture.hpp"

using namespace client_fixture;
using namespace std::chrono_literals;
using nlohmann::json;
using test_support::http_request;
using test_support::response_writer;
using kind = k8s::watcher_event::kind;

namespace {

json pod(const std::string& name, const std::string& rv) {
  return {{"kind", "Pod"},
          {"apiVersion", "v1"},
          {"metadata", {{"name", name}, {"namespace", "ns"}, {"resourceVersion", rv}}}};
}

std::string pod_list(const std::vector<std::string>& names, const std::string& rv) {
  json list{{"kind", "PodList"}, {"items", json::array()}, {"metadata", {{"resourceVersion", rv}}}};
  for (const auto& n : names) {
    json item = pod(n, rv);
    item.erase("kind");  // a List's items carry neither kind nor apiVersion
    item.erase("apiVersion");
    list["items"].push_back(item);
  }
  return list.dump();
}

std::string event_line(const std::string& type, const json& object) {
  return json{{"type", type}, {"object", object}}.dump() + "\n";
}

bool is_watch(const http_request& req) {
  return req.query.count("watch") != 0;
}

// Records what a watcher delivers, with a way to wait for a number of events.
struct recorder {
  mutable std::mutex m;
  std::condition_variable cv;
  std::vector<k8s::watcher_event> events;
  std::vector<std::chrono::steady_clock::time_point> at;

  void operator()(k8s::watcher_event e) {
    std::lock_guard<std::mutex> lock(m);
    events.push_back(std::move(e));
    at.push_back(std::chrono::steady_clock::now());
    cv.notify_all();
  }
  bool wait_for(size_t n, std::chrono::milliseconds timeout = 10s) {
    std::unique_lock<std::mutex> lock(m);
    return cv.wait_for(lock, timeout, [&] { return events.size() >= n; });
  }
  std::vector<std::string> summary() const {
    std::lock_guard<std::mutex> lock(m);
    std::vector<std::string> out;
    for (const auto& e : events) {
      std::string s = k8s::to_string(e.type);
      if (e.object.is_object()) s += " " + e.object["metadata"]["name"].get<std::string>();
      out.push_back(s);
    }
    return out;
  }
};

k8s::watcher_options quick_watch() {
  k8s::watcher_options o;
  o.retry_backoff = {20ms, 200ms, 2.0, 0.0};
  return o;
}

}  // namespace

TEST_CASE("watch: a chunked stream delivers each event as it arrives") {
  std::atomic<int> seen{0};
  recorder rec;
  test_support::scripted_server server([&](const http_request& req, response_writer& w) {
    if (!is_watch(req)) return w.send(200, pod_list({"a"}, "10"));
    w.start_chunked(200);
    for (int i = 1; i <= 3; ++i) {
      w.write_chunk(event_line("MODIFIED", pod("a", std::to_string(10 + i))));
      // The next event is only sent once the consumer has received this one: a client that
      // buffered the body until it ended would never get past the first.
      const auto deadline = std::chrono::steady_clock::now() + 5s;
      while (seen < i + 2 && std::chrono::steady_clock::now() < deadline) w.wait(5ms);
    }
    w.wait(30s);
  });
  k8s::client api(config_for(server));
  k8s::watcher watch(api, k8s::resources::pods, "ns", quick_watch(), [&](k8s::watcher_event e) {
    rec(std::move(e));
    ++seen;
  });
  watch.start();
  REQUIRE(rec.wait_for(6));
  CHECK(rec.summary() == std::vector<std::string>{"init", "init_apply a", "init_done", "apply a",
                                                  "apply a", "apply a"});
  CHECK(rec.events[5].object["metadata"]["resourceVersion"] == "13");
  CHECK(watch.resource_version() == "13");
  CHECK(watch.synced());
  const auto watches = server.requests();
  REQUIRE(watches.size() == 2);
  CHECK(watches[0].query.at("limit") == "500");
  CHECK(watches[1].query.at("resourceVersion") == "10");
  CHECK(watches[1].query.at("allowWatchBookmarks") == "true");
  CHECK(watches[1].query.at("timeoutSeconds") == "290");
}

TEST_CASE("watch: a dropped stream resumes from the last resourceVersion without relisting") {
  recorder rec;
  std::atomic<int> watches{0};
  test_support::scripted_server server([&](const http_request& req, response_writer& w) {
    if (!is_watch(req)) return w.send(200, pod_list({"a"}, "10"));
    w.start_chunked(200);
    if (watches++ == 0) {
      w.write_chunk(event_line("ADDED", pod("b", "11")));
      // Cut only once the event has been consumed; what was in flight when a stream is cut is
      // simply received again after the resume.
      const auto deadline = std::chrono::steady_clock::now() + 5s;
      while (rec.summary().size() < 4 && std::chrono::steady_clock::now() < deadline) w.wait(5ms);
      return w.close_abruptly();
    }
    w.write_chunk(event_line("DELETED", pod("a", "12")));
    w.wait(30s);
  });
  k8s::client api(config_for(server));
  std::atomic<int> errors{0};
  k8s::watcher watch(
      api, k8s::resources::pods, "ns", quick_watch(), [&](k8s::watcher_event e) { rec(e); },
      [&](const k8s::api_error&) { ++errors; });
  watch.start();
  REQUIRE(rec.wait_for(5));
  CHECK(rec.summary() ==
        std::vector<std::string>{"init", "init_apply a", "init_done", "apply b", "remove a"});
  const auto reqs = server.requests();
  REQUIRE(reqs.size() == 3);  // one list, two watches
  CHECK(reqs[2].query.at("resourceVersion") == "11");
  CHECK(watch.relists() == 0);
  CHECK(watch.watch_restarts() == 1);
  CHECK(errors == 1);  // the cut is reported
}

TEST_CASE("watch: 410 Gone relists and delivers a resynced snapshot") {
  recorder rec;
  std::atomic<int> lists{0};
  test_support::scripted_server server([&](const http_request& req, response_writer& w) {
    if (!is_watch(req)) {
      // b was deleted while no watch was open: the second list no longer has it.
      return w.send(200, lists++ == 0 ? pod_list({"a", "b"}, "10") : pod_list({"a"}, "20"));
    }
    w.start_chunked(200);
    if (req.query.at("resourceVersion") == "10") {
      w.write_chunk(event_line(
          "ERROR", json::parse(status_body(410, "Expired", "too old resource version: 10 (15)"))));
      return w.end_chunked();
    }
    w.wait(30s);
  });
  k8s::client api(config_for(server));
  k8s::watcher watch(api, k8s::resources::pods, "ns", quick_watch(),
                     [&](k8s::watcher_event e) { rec(e); });
  watch.start();
  REQUIRE(rec.wait_for(7));
  CHECK(rec.summary() == std::vector<std::string>{"init", "init_apply a", "init_apply b",
                                                  "init_done", "init", "init_apply a",
                                                  "init_done"});
  CHECK(watch.relists() == 1);
  REQUIRE(server.wait_for_requests(4, 5s));
  CHECK(server.requests()[3].query.at("resourceVersion") == "20");
}

TEST_CASE("watch: a 410 answer to the watch request itself also relists") {
  recorder rec;
  std::atomic<int> lists{0};
  test_support::scripted_server server([&](const http_request& req, response_writer& w) {
    if (!is_watch(req)) return w.send(200, pod_list({"x"}, std::to_string(10 * ++lists)));
    if (req.query.at("resourceVersion") == "10")
      return w.send(410, status_body(410, "Gone", "too old"));
    w.start_chunked(200);
    w.wait(30s);
  });
  k8s::client api(config_for(server));
  k8s::watcher watch(api, k8s::resources::pods, "ns", quick_watch(),
                     [&](k8s::watcher_event e) { rec(e); });
  watch.start();
  REQUIRE(rec.wait_for(6));
  CHECK(watch.relists() == 1);
}

TEST_CASE("watch: bookmarks advance the version a resumed watch starts from") {
  recorder rec;
  std::atomic<int> watches{0};
  test_support::scripted_server server([&](const http_request& req, response_writer& w) {
    if (!is_watch(req)) return w.send(200, pod_list({}, "10"));
    w.start_chunked(200);
    if (watches++ == 0) {
      w.write_chunk(event_line(
          "BOOKMARK",
          {{"kind", "Pod"}, {"apiVersion", "v1"}, {"metadata", {{"resourceVersion", "50"}}}}));
      return w.end_chunked();  // the server's watch timeout: resume at once
    }
    w.write_chunk(event_line("ADDED", pod("late", "51")));
    w.wait(30s);
  });
  k8s::client api(config_for(server));
  k8s::watcher watch(api, k8s::resources::pods, "ns", quick_watch(),
                     [&](k8s::watcher_event e) { rec(e); });
  watch.start();
  REQUIRE(rec.wait_for(3));  // init, init_done, apply late: the bookmark itself is not an event
  CHECK(rec.summary() == std::vector<std::string>{"init", "init_done", "apply late"});
  CHECK(server.requests()[2].query.at("resourceVersion") == "50");
}

TEST_CASE("watch: the initial list is paginated") {
  recorder rec;
  test_support::scripted_server server([&](const http_request& req, response_writer& w) {
    if (is_watch(req)) return w.start_chunked(200), void(w.wait(30s));
    json list =
        json::parse(pod_list(req.query.count("continue") ? std::vector<std::string>{"c"}
                                                         : std::vector<std::string>{"a", "b"},
                             "10"));
    if (!req.query.count("continue")) list["metadata"]["continue"] = "page2";
    w.send(200, list.dump());
  });
  k8s::client api(config_for(server));
  auto options = quick_watch();
  options.page_size = 2;
  options.label_selector = "ray.io/cluster";
  k8s::watcher watch(api, k8s::resources::pods, "ns", options,
                     [&](k8s::watcher_event e) { rec(e); });
  watch.start();
  REQUIRE(rec.wait_for(5));
  CHECK(rec.summary() == std::vector<std::string>{"init", "init_apply a", "init_apply b",
                                                  "init_apply c", "init_done"});
  const auto reqs = server.requests();
  CHECK(reqs[0].query.at("limit") == "2");
  CHECK(reqs[0].query.at("labelSelector") == "ray.io/cluster");
  CHECK(reqs[1].query.at("continue") == "page2");
  // Items of a List lack kind/apiVersion; the watcher restores them.
  CHECK(rec.events[1].object["kind"] == "Pod");
  CHECK(rec.events[1].object["apiVersion"] == "v1");
}

TEST_CASE("watch: a quiet stream outlives the client's request idle timeout") {
  recorder rec;
  test_support::scripted_server server([&](const http_request& req, response_writer& w) {
    if (!is_watch(req)) return w.send(200, pod_list({}, "10"));
    w.start_chunked(200);
    if (!w.wait(2500ms)) return;  // silent for longer than the 1 s request timeout
    w.write_chunk(event_line("ADDED", pod("after-silence", "11")));
    w.wait(30s);
  });
  auto options = quick_options();
  options.transport.request_timeout = 1s;
  options.transport.stream_idle_timeout = 10s;
  k8s::client api(config_for(server), options);
  k8s::watcher watch(api, k8s::resources::pods, "ns", quick_watch(),
                     [&](k8s::watcher_event e) { rec(e); });
  watch.start();
  REQUIRE(rec.wait_for(3));
  CHECK(rec.summary().back() == "apply after-silence");
  CHECK(server.request_count() == 2);  // the same watch carried the event: no reconnect
}

TEST_CASE("watch: stop() ends a quiet watch promptly") {
  std::atomic<bool> watching{false};
  test_support::scripted_server server([&](const http_request& req, response_writer& w) {
    if (!is_watch(req)) return w.send(200, pod_list({}, "10"));
    w.start_chunked(200);
    watching = true;
    w.wait(60s);
  });
  k8s::client api(config_for(server));
  std::atomic<bool> synced{false};
  k8s::watcher watch(api, k8s::resources::pods, "ns", quick_watch(), [&](k8s::watcher_event e) {
    if (e.type == kind::init_done) synced = true;
  });
  watch.start();
  // The watch open, whatever the list took (a repeated list is two requests and no watch yet).
  const auto open_deadline = std::chrono::steady_clock::now() + 10s;
  while (!watching && std::chrono::steady_clock::now() < open_deadline)
    std::this_thread::sleep_for(10ms);
  REQUIRE(watching);
  const auto t0 = std::chrono::steady_clock::now();
  watch.stop();
  CHECK(std::chrono::steady_clock::now() - t0 < 2s);
  CHECK(synced);
}
