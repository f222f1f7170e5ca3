#include "k8s/watch_event.hpp"

#include <string>
#include <vector>

#include <catch2/catch.hpp>

using namespace k8s;
using nlohmann::json;

namespace {

std::vector<std::string> split(watch_line_splitter& s, const std::vector<std::string>& chunks) {
  std::vector<std::string> lines;
  for (const auto& c : chunks) s.feed(c, [&](std::string_view line) { lines.emplace_back(line); });
  return lines;
}

const char* const expired =
    R"j({"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},)j"
    R"j("status":"Failure","message":"too old resource version: 1138518 (1148522)",)j"
    R"j("reason":"Expired","code":410}})j";

}  // namespace

TEST_CASE("watch event: every event type parses") {
  auto [text, kind] = GENERATE(table<std::string, watch_event::type>({
      {"ADDED", watch_event::type::added},
      {"MODIFIED", watch_event::type::modified},
      {"DELETED", watch_event::type::deleted},
      {"BOOKMARK", watch_event::type::bookmark},
      {"ERROR", watch_event::type::error},
  }));
  auto r = parse_watch_line(R"({"type":")" + text + R"(","object":{"metadata":{"name":"p"}}})");
  REQUIRE(r.ok());
  CHECK(r.value().kind == kind);
  CHECK(r.value().object["metadata"]["name"] == "p");
  CHECK(to_string(kind) == text);
  CHECK(parse_watch_event_type(text) == kind);
}

TEST_CASE("watch event: malformed lines are decode errors quoting the line") {
  auto [line, why] = GENERATE(table<std::string, std::string>({
      {R"({"type":"ADDED","object":)", "not JSON"},
      {"[1,2]", "not a JSON object"},
      {R"({"object":{}})", "without a type"},
      {R"({"type":7,"object":{}})", "without a type"},
      {R"({"type":"SYNC","object":{}})", "unknown type \"SYNC\""},
      {R"({"type":"added","object":{}})", "unknown type \"added\""},
      {R"({"type":"ADDED"})", "without an object"},
      {R"({"type":"ADDED","object":"x"})", "without an object"},
  }));
  CAPTURE(line);
  auto r = parse_watch_line(line);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().kind() == error_kind::decode);
  CHECK_THAT(r.error().message(), Catch::Contains(why) && Catch::EndsWith(line));
}

TEST_CASE("watch event: long bad lines are quoted up to 100 characters") {
  std::string line = "x" + std::string(300, 'y');
  auto r = parse_watch_line(line);
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.error().message(), Catch::EndsWith(line.substr(0, 100) + "..."));
  CHECK(r.error().message().size() < 200);
}

TEST_CASE("watch event: an expired resource version becomes a gone error") {
  auto r = parse_watch_line(expired);
  REQUIRE(r.ok());
  REQUIRE(r.value().kind == watch_event::type::error);
  api_error e = error_of(r.value());
  CHECK(e.kind() == error_kind::gone);
  CHECK(e.http_code() == 410);
  CHECK(e.reason() == "Expired");
  CHECK(e.message() == "too old resource version: 1138518 (1148522)");
}

TEST_CASE("watch event: an error Status without a code is a server error") {
  watch_event event{watch_event::type::error,
                    json{{"kind", "Status"}, {"status", "Failure"}, {"message", "boom"}}};
  api_error e = error_of(event);
  CHECK(e.kind() == error_kind::server_error);
  CHECK(e.message() == "boom");
}

TEST_CASE("watch splitter: a line split across three chunks is emitted once, whole") {
  watch_line_splitter s;
  std::string line = R"({"type":"ADDED","object":{"metadata":{"name":"p"}}})";
  auto lines = split(s, {line.substr(0, 10), line.substr(10, 20), line.substr(30) + "\n"});
  REQUIRE(lines.size() == 1);
  CHECK(lines[0] == line);
  CHECK(s.pending().empty());
  CHECK(parse_watch_line(lines[0]).ok());
}

TEST_CASE("watch splitter: two lines in one chunk are emitted in order") {
  watch_line_splitter s;
  auto lines = split(s, {"first\nsecond\n"});
  CHECK(lines == std::vector<std::string>{"first", "second"});
}

TEST_CASE("watch splitter: a partial trailing line waits for the next chunk") {
  watch_line_splitter s;
  auto lines = split(s, {"one\ntw"});
  CHECK(lines == std::vector<std::string>{"one"});
  CHECK(s.pending() == "tw");
  lines = split(s, {"o\nthree"});
  CHECK(lines == std::vector<std::string>{"two"});
  CHECK(s.pending() == "three");
  s.reset();
  CHECK(s.pending().empty());
  CHECK(split(s, {"four\n"}) == std::vector<std::string>{"four"});
}

TEST_CASE("watch splitter: empty lines are skipped and carriage returns dropped") {
  watch_line_splitter s;
  auto lines = split(s, {"\n\r\na\r\n\n", "b\r", "\n", "\r\n"});
  CHECK(lines == std::vector<std::string>{"a", "b"});
}

TEST_CASE("watch splitter: a newline arriving alone completes the buffered line") {
  watch_line_splitter s;
  auto lines = split(s, {"abc", "", "\n"});
  CHECK(lines == std::vector<std::string>{"abc"});
}
