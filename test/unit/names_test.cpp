#include "k8s/names.hpp"

#include <string>

#include <catch2/catch.hpp>

using namespace k8s;

TEST_CASE("names: DNS-1123 labels") {
  SECTION("valid") {
    auto value =
        GENERATE(as<std::string>{}, "a", "0", "my-name", "123-abc", "a1", std::string(63, 'a'));
    CAPTURE(value);
    CHECK(validate_dns1123_label(value).empty());
  }
  SECTION("invalid characters or ends") {
    auto value = GENERATE(as<std::string>{}, "", "-a", "a-", "A", "my_name", "my.name", "a b", "ä");
    CAPTURE(value);
    CHECK_THAT(validate_dns1123_label(value), Catch::Contains("RFC 1123 label"));
  }
  SECTION("too long") {
    CHECK(validate_dns1123_label(std::string(64, 'a')) == "must be no more than 63 characters");
  }
}

TEST_CASE("names: DNS-1123 subdomains") {
  SECTION("valid") {
    auto value = GENERATE(as<std::string>{}, "a", "example.com", "raycluster-sample-head-x7k2p",
                          "a.b.c", std::string(253, 'a'));
    CAPTURE(value);
    CHECK(validate_dns1123_subdomain(value).empty());
  }
  SECTION("invalid") {
    auto value = GENERATE(as<std::string>{}, "", ".a", "a.", "a..b", "a.-b", "Example.com", "a_b");
    CAPTURE(value);
    CHECK_THAT(validate_dns1123_subdomain(value), Catch::Contains("RFC 1123 subdomain"));
  }
  SECTION("too long") {
    CHECK(validate_dns1123_subdomain(std::string(254, 'a')) ==
          "must be no more than 253 characters");
  }
}

TEST_CASE("names: DNS-1035 labels must start with a letter") {
  CHECK(validate_dns1035_label("my-name").empty());
  CHECK(validate_dns1035_label("abc-123").empty());
  auto value = GENERATE(as<std::string>{}, "1abc", "", "-a", "a-", "Abc", "a.b");
  CAPTURE(value);
  CHECK_THAT(validate_dns1035_label(value), Catch::Contains("DNS-1035 label"));
  CHECK(validate_dns1035_label(std::string(64, 'a')) == "must be no more than 63 characters");
}

TEST_CASE("names: qualified names for label and annotation keys") {
  SECTION("valid") {
    auto value =
        GENERATE(as<std::string>{}, "app", "MyName", "my.name", "123-abc", "a_b",
                 "ray.io/node-type", "example.com/MyName", "k8s.io/x", std::string(63, 'a'));
    CAPTURE(value);
    CHECK(validate_qualified_name(value).empty());
  }
  SECTION("bad name part") {
    auto value = GENERATE(as<std::string>{}, "-a", "a-", "_a", "a b", "ray.io/-x", "a$b");
    CAPTURE(value);
    CHECK_THAT(validate_qualified_name(value), Catch::StartsWith("name part must consist of"));
  }
  SECTION("empty or long name part") {
    CHECK(validate_qualified_name("") == "name part must be non-empty");
    CHECK(validate_qualified_name("ray.io/") == "name part must be non-empty");
    CHECK(validate_qualified_name(std::string(64, 'a')) ==
          "name part must be no more than 63 characters");
  }
  SECTION("bad prefix") {
    CHECK(validate_qualified_name("/a") == "prefix part must be non-empty");
    CHECK_THAT(validate_qualified_name("Ray.io/a"), Catch::StartsWith("prefix part a lowercase"));
    CHECK(validate_qualified_name(std::string(254, 'a') + "/a") ==
          "prefix part must be no more than 253 characters");
  }
  SECTION("more than one slash") {
    CHECK_THAT(validate_qualified_name("a/b/c"), Catch::StartsWith("a qualified name must"));
  }
}

TEST_CASE("names: label values may be empty") {
  SECTION("valid") {
    auto value = GENERATE(as<std::string>{}, "", "MyValue", "my_value", "12345", "a.b-c",
                          std::string(63, 'x'));
    CAPTURE(value);
    CHECK(validate_label_value(value).empty());
  }
  SECTION("invalid") {
    auto value = GENERATE(as<std::string>{}, "-a", "a-", "a/b", "a b", "a,b", ".a");
    CAPTURE(value);
    CHECK_THAT(validate_label_value(value), Catch::StartsWith("a valid label must be"));
  }
  SECTION("too long") {
    CHECK(validate_label_value(std::string(64, 'x')) == "must be no more than 63 characters");
  }
}
