// The reflector store: the latest version of each object, by key and by index, replaced whole
// on a relist.

#include <catch2/catch.hpp>

#include "k8s/reflector_store.hpp"

namespace {

struct thing {
  std::string name;
};

using store = k8s::reflector_store<thing>;

store::entry entry(const std::string& key, const std::string& index, const std::string& version) {
  return {key, index, version, std::make_shared<const thing>(thing{key + "@" + version})};
}

std::vector<std::string> names(const std::vector<store::pointer>& all) {
  std::vector<std::string> out;
  for (const auto& p : all) out.push_back(p->name);
  return out;
}

}  // namespace

TEST_CASE("reflector store: objects are listed by their index, latest version only") {
  store s;
  s.apply(entry("ns/a", "ns/c1", "1"));
  s.apply(entry("ns/b", "ns/c1", "2"));
  s.apply(entry("ns/x", "ns/c2", "3"));
  s.apply(entry("ns/a", "ns/c1", "4"));
  CHECK(names(s.list("ns/c1")) == std::vector<std::string>{"ns/a@4", "ns/b@2"});
  CHECK(names(s.list("ns/c2")) == std::vector<std::string>{"ns/x@3"});
  CHECK(s.list("ns/none").empty());
  CHECK(s.size() == 3);
}

TEST_CASE("reflector store: a relabelled object leaves its old index, and says which") {
  store s;
  s.apply(entry("ns/a", "ns/c1", "1"));
  CHECK(s.apply(entry("ns/a", "ns/c2", "2")) == "ns/c1");
  CHECK(s.list("ns/c1").empty());
  CHECK(names(s.list("ns/c2")) == std::vector<std::string>{"ns/a@2"});
  CHECK(s.apply(entry("ns/a", "ns/c2", "3")).empty());
}

TEST_CASE("reflector store: a removed object is gone from its index") {
  store s;
  s.apply(entry("ns/a", "ns/c1", "1"));
  CHECK(s.remove("ns/a") == "ns/c1");
  CHECK(s.list("ns/c1").empty());
  CHECK(s.remove("ns/a").empty());
}

TEST_CASE("reflector store: a relist replaces everything and names only the indexes it changed") {
  store s;
  CHECK_FALSE(s.synced());
  s.replace(
      {entry("ns/a", "ns/c1", "1"), entry("ns/b", "ns/c2", "1"), entry("ns/c", "ns/c3", "1")});
  CHECK(s.synced());
  // b changed, c vanished while no watch was open, d appeared; a is as it was.
  const auto changed = s.replace(
      {entry("ns/a", "ns/c1", "1"), entry("ns/b", "ns/c2", "2"), entry("ns/d", "ns/c4", "1")});
  CHECK(changed == std::set<std::string>{"ns/c2", "ns/c3", "ns/c4"});
  CHECK(names(s.list("ns/c2")) == std::vector<std::string>{"ns/b@2"});
  CHECK(s.list("ns/c3").empty());
  CHECK(s.get("ns/c") == nullptr);
  CHECK(s.size() == 3);
}

TEST_CASE("reflector store: an object moved between indexes by a relist changes both") {
  store s;
  s.replace({entry("ns/a", "ns/c1", "1")});
  CHECK(s.replace({entry("ns/a", "ns/c2", "1")}) == std::set<std::string>{"ns/c1", "ns/c2"});
}

TEST_CASE("reflector store: readers keep the copy they were given after a replace") {
  store s;
  s.apply(entry("ns/a", "ns/c1", "1"));
  auto held = s.list("ns/c1");
  s.replace({});
  REQUIRE(held.size() == 1);
  CHECK(held[0]->name == "ns/a@1");
}
