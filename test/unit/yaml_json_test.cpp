#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>

#include <yaml-cpp/yaml.h>

#include "k8s/yaml_json.hpp"

using k8s::parse_yaml;
using k8s::parse_yaml_documents;
using nlohmann::json;

namespace {

json value_of(const std::string& scalar) {
  return parse_yaml("v: " + scalar)["v"];
}

}  // namespace

TEST_CASE("yaml: plain integers are numbers, in decimal, hex, octal and binary") {
  CHECK(value_of("3") == json(3));
  CHECK(value_of("-17") == json(-17));
  CHECK(value_of("+5") == json(5));
  CHECK(value_of("0") == json(0));
  CHECK(value_of("0644") == json(420));
  CHECK(value_of("0o17") == json(15));
  CHECK(value_of("0x1F") == json(31));
  CHECK(value_of("-0x10") == json(-16));
  CHECK(value_of("0b101") == json(5));
  CHECK(value_of("1_000_000") == json(1000000));
  CHECK(value_of("3").is_number_integer());
}

TEST_CASE("yaml: plain floats are numbers, including exponents") {
  CHECK(value_of("1.5").get<double>() == 1.5);
  CHECK(value_of("-0.25").get<double>() == -0.25);
  CHECK(value_of(".5").get<double>() == 0.5);
  CHECK(value_of("1e3").get<double>() == 1000.0);
  CHECK(value_of("1e3").is_number_float());
  CHECK(value_of("2.5E-1").get<double>() == 0.25);
  // Not octal (8 is no octal digit), so go-yaml reads it as a float.
  CHECK(value_of("08").is_number_float());
  CHECK(value_of("08").get<double>() == 8.0);
}

TEST_CASE("yaml: .inf and .nan become non-finite doubles") {
  CHECK(value_of(".inf").get<double>() == INFINITY);
  CHECK(value_of("-.Inf").get<double>() == -INFINITY);
  CHECK(std::isnan(value_of(".NaN").get<double>()));
}

TEST_CASE("yaml: integers beyond int64 become unsigned, then doubles") {
  CHECK(value_of("9223372036854775807") == json(INT64_MAX));
  CHECK(value_of("-9223372036854775808") == json(INT64_MIN));
  CHECK(value_of("18446744073709551615").is_number_unsigned());
  CHECK(value_of("18446744073709551615") == json(UINT64_MAX));
  CHECK(value_of("100000000000000000000").is_number_float());
  CHECK(value_of("100000000000000000000").get<double>() == 1e20);
}

TEST_CASE("yaml: YAML 1.1 booleans in every standard casing") {
  for (const char* word :
       {"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON", "y", "Y"}) {
    INFO(word);
    CHECK(value_of(word) == json(true));
  }
  for (const char* word :
       {"false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF", "n", "N"}) {
    INFO(word);
    CHECK(value_of(word) == json(false));
  }
  CHECK(value_of("tRUE") == json("tRUE"));
  CHECK(value_of("yEs") == json("yEs"));
}

TEST_CASE("yaml: null, ~ and an empty value are null") {
  json doc = parse_yaml("a: ~\nb: null\nc: NULL\nd:\n");
  for (const char* key : {"a", "b", "c", "d"}) {
    INFO(key);
    CHECK(doc.at(key).is_null());
  }
}

TEST_CASE("yaml: other plain scalars are strings") {
  CHECK(value_of("hello") == json("hello"));
  CHECK(value_of("1.2.3") == json("1.2.3"));
  CHECK(value_of("0x") == json("0x"));
  CHECK(value_of("1e999") == json("1e999"));
  CHECK(value_of("12:30") == json("12:30"));
  CHECK(value_of("+-") == json("+-"));
  CHECK(value_of("2024-01-02") == json("2024-01-02"));
}

TEST_CASE("yaml: quoted and block scalars are always strings") {
  json doc =
      parse_yaml("a: \"0\"\nb: '0644'\nc: \"true\"\nd: 'null'\ne: \"\"\nf: |\n  42\ng: >\n  yes\n");
  CHECK(doc["a"] == json("0"));
  CHECK(doc["b"] == json("0644"));
  CHECK(doc["c"] == json("true"));
  CHECK(doc["d"] == json("null"));
  CHECK(doc["e"] == json(""));
  CHECK(doc["f"] == json("42\n"));
  CHECK(doc["g"] == json("yes\n"));
}

TEST_CASE("yaml: !!str forces a string and core tags check the value") {
  CHECK(value_of("!!str 0644") == json("0644"));
  CHECK(value_of("!!str true") == json("true"));
  CHECK(value_of("!!int 0x10") == json(16));
  CHECK(value_of("!!float 1").is_number_float());
  CHECK(value_of("!custom 12") == json("12"));
  CHECK_THROWS_AS(value_of("!!int abc"), k8s::yaml_error);
}

TEST_CASE("yaml: sequences and mappings nest") {
  json doc = parse_yaml("items:\n  - name: a\n    ports: [80, \"443\"]\n  - {name: b}\n");
  CHECK(doc == json::parse(R"({"items":[{"name":"a","ports":[80,"443"]},{"name":"b"}]})"));
}

TEST_CASE("yaml: a merge key copies an anchored mapping, explicit keys win") {
  json doc = parse_yaml(
      "base: &base {cpu: 1, memory: 2Gi}\n"
      "worker:\n"
      "  cpu: 4\n"
      "  <<: *base\n"
      "  gpu: 1\n");
  CHECK(doc["worker"] == json::parse(R"({"cpu":4,"memory":"2Gi","gpu":1})"));
  CHECK_FALSE(doc["worker"].contains("<<"));
}

TEST_CASE("yaml: a merge key with a list merges every mapping, earlier ones winning") {
  json doc = parse_yaml(
      "a: &a {x: 1, y: 1}\n"
      "b: &b {y: 2, z: 2}\n"
      "c:\n"
      "  <<: [*a, *b]\n"
      "  z: 3\n");
  CHECK(doc["c"] == json::parse(R"({"x":1,"y":1,"z":3})"));
}

TEST_CASE("yaml: a merge key needs a mapping") {
  CHECK_THROWS_AS(parse_yaml("a:\n  <<: 5\n"), k8s::yaml_error);
  CHECK_THROWS_AS(parse_yaml("a:\n  <<: [1, 2]\n"), k8s::yaml_error);
}

TEST_CASE("yaml: a quoted << is an ordinary key") {
  json doc = parse_yaml("\"<<\": {x: 1}\n");
  CHECK(doc == json::parse(R"({"<<":{"x":1}})"));
}

TEST_CASE("yaml: multi-document streams skip empty documents") {
  auto docs = parse_yaml_documents("---\n---\na: 1\n---\n# only a comment\n---\n~\n---\nb: 2\n");
  REQUIRE(docs.size() == 2);
  CHECK(docs[0] == json::parse(R"({"a":1})"));
  CHECK(docs[1] == json::parse(R"({"b":2})"));
  CHECK(parse_yaml_documents("").empty());
}

TEST_CASE("yaml: parse_yaml reads only the first document, empty text is null") {
  CHECK(parse_yaml("a: 1\n---\nb: 2\n") == json::parse(R"({"a":1})"));
  CHECK(parse_yaml("").is_null());
}

TEST_CASE("yaml: a parse error names the line and column") {
  try {
    parse_yaml("a: 1\nb: [1, 2\nc: 3\n");
    FAIL("no error");
  } catch (const k8s::yaml_error& e) {
    CHECK(e.line() >= 2);
    CHECK(e.column() > 0);
    CHECK_THAT(e.what(), Catch::Contains("line " + std::to_string(e.line()) + ", column"));
  }
  CHECK_THROWS_AS(parse_yaml_documents("a: 1\n---\nb: [open\n"), k8s::yaml_error);
}

TEST_CASE("yaml: a parse error is a std::runtime_error") {
  CHECK_THROWS_AS(parse_yaml("key: [unclosed\n"), std::runtime_error);
}

TEST_CASE("yaml: an alias that contains itself is an error, not a crash") {
  CHECK_THROWS_AS(parse_yaml("a: &x [*x]\n"), k8s::yaml_error);
}

TEST_CASE("yaml: a mapping used as a key is an error") {
  CHECK_THROWS_AS(parse_yaml("? {a: 1}\n: b\n"), k8s::yaml_error);
}

TEST_CASE("yaml: yaml_to_json converts a node loaded by yaml-cpp") {
  YAML::Node node = YAML::Load("replicas: 3\nname: '3'\nflags: [on, off]\n");
  json doc = k8s::yaml_to_json(node);
  CHECK(doc == json::parse(R"({"replicas":3,"name":"3","flags":[true,false]})"));
}
