#include "k8s/label_selector.hpp"

#include <catch2/catch.hpp>

using k8s::label_selector;
using nlohmann::json;

namespace {

label_selector sel(const std::string& text) {
  auto r = label_selector::parse(text);
  if (!r) FAIL("parse(\"" << text << "\") failed: " << r.error().message());
  return r.value();
}

}  // namespace

TEST_CASE("label selector: every operator parses and prints canonically") {
  auto [text, canonical] = GENERATE(table<std::string, std::string>({
      {"app=ray", "app=ray"},
      {"app==ray", "app=ray"},
      {"app!=ray", "app!=ray"},
      {"env in (b,a)", "env in (a,b)"},
      {"env notin (a)", "env notin (a)"},
      {"gpu", "gpu"},
      {"!spot", "!spot"},
      {"ray.io/node-type=head", "ray.io/node-type=head"},
      {"  a = b ,  c  in ( x , y ) ", "a=b,c in (x,y)"},
      {"k=", "k="},
      {"k in ()", "k in ()"},
      {"k in (a,,a)", "k in (,a)"},
      {"z=1,a=2,m", "a=2,m,z=1"},
      {"k=in", "k=in"},
      {"in", "in"},
  }));
  CAPTURE(text);
  CHECK(sel(text).to_string() == canonical);
}

TEST_CASE("label selector: to_string round-trips through parse") {
  auto built = label_selector()
                   .equals("ray.io/cluster", "demo")
                   .not_equals("tier", "head")
                   .in("env", {"prod", "dev"})
                   .not_in("zone", {"b", "a"})
                   .exists("gpu")
                   .does_not_exist("spot");
  std::string text = built.to_string();
  CHECK(text == "env in (dev,prod),gpu,ray.io/cluster=demo,!spot,tier!=head,zone notin (a,b)");
  CHECK(sel(text) == built);
  CHECK(sel(text).to_string() == text);
}

TEST_CASE("label selector: the empty selector matches everything") {
  CHECK(sel("").empty());
  CHECK(sel("   ").empty());
  CHECK(label_selector().to_string().empty());
  CHECK(sel("").matches(json{{"a", "b"}}));
  CHECK(sel("").matches(nullptr));
  CHECK_FALSE(sel("a").empty());
}

TEST_CASE("label selector: matching follows Kubernetes semantics") {
  json labels = {{"app", "ray"}, {"env", "prod"}, {"gpu", "true"}, {"empty", ""}};
  SECTION("equality") {
    CHECK(sel("app=ray").matches(labels));
    CHECK_FALSE(sel("app=other").matches(labels));
    CHECK_FALSE(sel("missing=ray").matches(labels));
    CHECK(sel("empty=").matches(labels));
    CHECK_FALSE(sel("missing=").matches(labels));
  }
  SECTION("inequality matches when the label is absent") {
    CHECK(sel("app!=other").matches(labels));
    CHECK_FALSE(sel("app!=ray").matches(labels));
    CHECK(sel("missing!=ray").matches(labels));
  }
  SECTION("set membership") {
    CHECK(sel("env in (dev,prod)").matches(labels));
    CHECK_FALSE(sel("env in (dev)").matches(labels));
    CHECK_FALSE(sel("missing in (dev)").matches(labels));
    CHECK(sel("env notin (dev)").matches(labels));
    CHECK_FALSE(sel("env notin (prod)").matches(labels));
    CHECK(sel("missing notin (dev)").matches(labels));
  }
  SECTION("existence") {
    CHECK(sel("gpu").matches(labels));
    CHECK_FALSE(sel("spot").matches(labels));
    CHECK(sel("!spot").matches(labels));
    CHECK_FALSE(sel("!gpu").matches(labels));
  }
  SECTION("every requirement must hold") {
    CHECK(sel("app=ray,gpu,!spot").matches(labels));
    CHECK_FALSE(sel("app=ray,spot").matches(labels));
  }
}

TEST_CASE("label selector: null, absent or malformed labels count as no labels") {
  CHECK_FALSE(sel("a").matches(nullptr));
  CHECK(sel("!a").matches(nullptr));
  CHECK(sel("a!=b").matches(json::object()));
  CHECK_FALSE(sel("a=b").matches(json::array({"a"})));
  CHECK_FALSE(sel("a").matches(json{{"a", 1}}));  // not a string
}

TEST_CASE("label selector: malformed selectors are rejected with the text quoted") {
  auto text = GENERATE(as<std::string>{}, "a=b,", ",a", "a b", "a in b", "a in (b", "a in (b c)",
                       "a=(b)", "!a=b", "!", "=b", "a=b=c", "-a=b", "a=-b", "a in (x,-y)", "a/b/c",
                       "a notin", "a,,b", "a=b c");
  auto r = label_selector::parse(text);
  CAPTURE(text);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().kind() == k8s::error_kind::decode);
  CHECK_THAT(r.error().message(), Catch::Contains("label selector \"" + text + "\""));
}

TEST_CASE("label selector: invalid keys and values say which is wrong") {
  auto key = label_selector::parse("Bad_Prefix.io/x=1");
  REQUIRE_FALSE(key.ok());
  CHECK_THAT(key.error().message(), Catch::Contains("label key \"Bad_Prefix.io/x\""));
  auto value = label_selector::parse("a=b_");
  REQUIRE_FALSE(value.ok());
  CHECK_THAT(value.error().message(), Catch::Contains("value \"b_\""));
}

TEST_CASE("label selector: built from matchLabels and matchExpressions") {
  auto r = label_selector::from_json(json::parse(R"({
    "matchLabels": {"ray.io/cluster": "demo", "app": "ray"},
    "matchExpressions": [
      {"key": "env", "operator": "In", "values": ["prod", "dev"]},
      {"key": "zone", "operator": "NotIn", "values": ["a"]},
      {"key": "gpu", "operator": "Exists"},
      {"key": "spot", "operator": "DoesNotExist", "values": []}
    ]})"));
  REQUIRE(r.ok());
  CHECK(r.value().to_string() ==
        "app=ray,env in (dev,prod),gpu,ray.io/cluster=demo,!spot,zone notin (a)");
  CHECK(r.value().matches(
      json{{"app", "ray"}, {"ray.io/cluster", "demo"}, {"env", "dev"}, {"gpu", ""}}));
  CHECK_FALSE(r.value().matches(json{{"app", "ray"}, {"ray.io/cluster", "demo"}}));
}

TEST_CASE("label selector: an empty metav1.LabelSelector selects everything") {
  auto r = label_selector::from_json(json::object());
  REQUIRE(r.ok());
  CHECK(r.value().empty());
  auto nulls =
      label_selector::from_json(json{{"matchLabels", nullptr}, {"matchExpressions", nullptr}});
  REQUIRE(nulls.ok());
  CHECK(nulls.value().empty());
}

TEST_CASE("label selector: invalid metav1.LabelSelector is rejected") {
  auto selector = GENERATE(
      json(nullptr), json::array(), json::parse(R"({"matchLabels": ["a"]})"),
      json::parse(R"({"matchLabels": {"a": 1}})"), json::parse(R"({"matchLabels": {"a b": "c"}})"),
      json::parse(R"({"matchLabels": {"a": "-c"}})"), json::parse(R"({"matchExpressions": {}})"),
      json::parse(R"({"matchExpressions": [{"key": "a"}]})"),
      json::parse(R"({"matchExpressions": [{"key": "a", "operator": "Gt", "values": ["1"]}]})"),
      json::parse(R"({"matchExpressions": [{"key": "a", "operator": "In"}]})"),
      json::parse(R"({"matchExpressions": [{"key": "a", "operator": "In", "values": []}]})"),
      json::parse(R"({"matchExpressions": [{"key": "a", "operator": "Exists", "values": ["x"]}]})"),
      json::parse(R"({"matchExpressions": [{"key": "a", "operator": "In", "values": [1]}]})"),
      json::parse(R"({"matchExpressions": [{"key": "a", "operator": "In", "values": "x"}]})"));
  CAPTURE(selector.dump());
  auto r = label_selector::from_json(selector);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().kind() == k8s::error_kind::decode);
  CHECK_THAT(r.error().message(), Catch::StartsWith("label selector "));
}

TEST_CASE("label selector: requirements stay sorted by key, duplicates of a key kept in order") {
  auto s = label_selector().exists("b").equals("a", "1").not_equals("b", "2");
  REQUIRE(s.requirements().size() == 3);
  CHECK(s.requirements()[0].key == "a");
  CHECK(s.to_string() == "a=1,b,b!=2");
  CHECK(s == sel("b,a=1,b!=2"));
  CHECK(s != sel("a=1,b"));
}

TEST_CASE("label selector: add() normalizes a requirement's values") {
  label_selector s;
  s.add({"k", k8s::label_requirement::op::in, {"b", "a", "b"}});
  REQUIRE(s.requirements().size() == 1);
  CHECK(s.requirements()[0].values == std::vector<std::string>{"a", "b"});
  CHECK(s == sel("k in (a,b)"));
}
