#include "k8s/quantity.hpp"

#include <catch2/catch.hpp>

using k8s::quantity;

namespace {

quantity q(const char* text) {
  auto r = quantity::parse(text);
  if (!r) FAIL("parse(\"" << text << "\") failed: " << r.error().message());
  return r.value();
}

}  // namespace

TEST_CASE("quantity: parses every notation to its exact milli value") {
  auto [text, milli] = GENERATE(table<const char*, int64_t>({
      {"500m", 500},
      {"2", 2000},
      {"1.5", 1500},
      {"0.5", 500},
      {"+1", 1000},
      {".5", 500},
      {"1e3", 1000000},
      {"1E3", 1000000},
      {"1k", 1000000},
      {"1M", 1000000000},
      {"1Ki", 1024000},
      {"100Ki", 102400000},
      {"1Gi", int64_t{1073741824} * 1000},
      {"1.5Gi", int64_t{1610612736} * 1000},
      {"123Mi", int64_t{128974848} * 1000},
      {"128974848", int64_t{128974848} * 1000},
      {"129e6", int64_t{129000000} * 1000},
      {"1e-3", 1},
      {"0", 0},
      {"-2", -2000},
  }));
  CAPTURE(text);
  CHECK(q(text).milli_value() == milli);
}

TEST_CASE("quantity: large suffixes are exact whole values") {
  CHECK(q("1Ti").ceil_value() == int64_t{1} << 40);
  CHECK(q("1Pi").ceil_value() == int64_t{1} << 50);
  CHECK(q("1Ei").ceil_value() == int64_t{1} << 60);
  CHECK(q("1P").ceil_value() == 1'000'000'000'000'000);
  CHECK(q("1T").ceil_value() == 1'000'000'000'000);
}

TEST_CASE("quantity: E alone is exa, E with digits is an exponent") {
  CHECK(q("1E").ceil_value() == 1'000'000'000'000'000'000);
  CHECK(q("1E3").ceil_value() == 1000);
  CHECK(q("1e3").ceil_value() == 1000);
  CHECK(q("1E").to_string() == "1E");
  CHECK(q("1e3").to_string() == "1e3");
}

TEST_CASE("quantity: nano and micro suffixes keep sub-milli precision") {
  CHECK(q("1n") < q("1u"));
  CHECK(q("1000n") == q("1u"));
  CHECK(q("1000u") == q("1m"));
  CHECK(q("1n").to_string() == "1n");
  CHECK(q("1u").to_string() == "1u");
  CHECK(q("1n").milli_value() == 1);  // rounded up
}

TEST_CASE("quantity: CPU is rounded up to whole cores") {
  CHECK(q("500m").ceil_value() == 1);
  CHECK(q("1.5").ceil_value() == 2);
  CHECK(q("2").ceil_value() == 2);
  CHECK(q("1001m").ceil_value() == 2);
  CHECK(q("-1.5").ceil_value() == -2);  // away from zero, as Kubernetes does
}

TEST_CASE("quantity: memory converts to bytes") {
  CHECK(q("1Gi").ceil_value() == 1073741824);
  CHECK(q("1M").ceil_value() == 1000000);
  CHECK(q("0.5Ki").ceil_value() == 512);
}

TEST_CASE("quantity: finer than a nano-unit rounds up to 1n") {
  CHECK(q("1e-12").to_string() == "1e-9");
  CHECK(q("0.000000000001").to_string() == "1n");
  CHECK(q("0.0000000001").to_string() == "1n");
  CHECK(q("1.0000000001").to_string() == "1000000001n");
}

TEST_CASE("quantity: malformed text is rejected with a message naming it") {
  auto text = GENERATE(as<std::string>{}, "", "abc", "1.2.3", "1Gib", "--1", "1 Gi", "Gi", "1e",
                       ".", "1e+", "1ki", "1Kib", " 1", "1-", "e3");
  auto r = quantity::parse(text);
  CAPTURE(text);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().kind() == k8s::error_kind::decode);
  CHECK_THAT(r.error().message(), Catch::Contains("\"" + text + "\""));
}

TEST_CASE("quantity: values beyond the representable range are too large") {
  auto text = GENERATE(as<std::string>{}, "1e40", "1e999999999999",
                       "999999999999999999999999999999999999999", "200000000000000000000Ei");
  auto r = quantity::parse(text);
  CAPTURE(text);
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.error().message(), Catch::Contains("too large"));
}

TEST_CASE("quantity: the largest values still parse and saturate when narrowed") {
  auto big = q("1e20");
  CHECK(big.ceil_value() == INT64_MAX);
  CHECK(big.milli_value() == INT64_MAX);
  CHECK((big * -1).ceil_value() == INT64_MIN);
  CHECK(q("1e20").to_string() == "100e18");
  CHECK(q("100000000000000000000").to_string() == "100E");
  CHECK(q("1000000000000000000000000").to_string() == "1000000E");  // nothing above E
}

TEST_CASE("quantity: negative values parse and say so") {
  CHECK(q("-1").is_negative());
  CHECK(q("-500m").milli_value() == -500);
  CHECK_FALSE(q("1").is_negative());
  CHECK_FALSE(q("-0").is_negative());
  CHECK(q("-0").is_zero());
  CHECK(q("-1Gi").to_string() == "-1Gi");
}

TEST_CASE("quantity: to_string follows the Kubernetes canonical form") {
  auto [text, canonical] = GENERATE(table<const char*, const char*>({
      {"1.5", "1500m"},
      {"1e3", "1e3"},
      {"2000m", "2"},
      {"0", "0"},
      {"0Gi", "0"},
      {"1024Mi", "1Gi"},
      {"1.5Gi", "1536Mi"},
      {"500m", "500m"},
      {"1000", "1k"},
      {"1500000", "1500k"},
      {"10", "10"},
      {"1Ki", "1Ki"},
      {"1000Ki", "1000Ki"},
      {"0.5Ki", "512"},   // below 1Ki: decimal
      {"1.5Ki", "1536"},  // not a whole number of Ki
      {"0.1Ki", "102400m"},
      {"129e6", "129e6"},
      {"1e4", "10e3"},
      {"1.5e3", "1500"},
      {"15e-1", "1500e-3"},
      {"123Mi", "123Mi"},
      {"128974848", "128974848"},
      {"1000E", "1000E"},
      {"+1", "1"},
      {"001.500", "1500m"},
  }));
  CAPTURE(text);
  CHECK(q(text).to_string() == canonical);
}

TEST_CASE("quantity: sums keep the left side's format") {
  CHECK((q("1Gi") + q("512Mi")).to_string() == "1536Mi");
  CHECK((q("1") + q("500m")).to_string() == "1500m");
  CHECK((q("1") + q("1Ki")).to_string() == "1025");
  CHECK((q("1Ki") + q("1")).to_string() == "1025");
  auto sum = q("1e3");
  sum += q("1e3");
  CHECK(sum.to_string() == "2e3");
}

TEST_CASE("quantity: a sum started from zero takes the format of its first term") {
  quantity total;
  total += q("1Gi");
  total += q("1Gi");
  CHECK(total.to_string() == "2Gi");
  CHECK(total.notation() == quantity::format::binary_si);
}

TEST_CASE("quantity: multiplication scales exactly") {
  CHECK((q("512Mi") * 4).to_string() == "2Gi");
  CHECK((q("250m") * 4).to_string() == "1");
  CHECK((q("1") * 0).is_zero());
  CHECK((q("1Ei") * 1'000'000'000'000).ceil_value() == INT64_MAX);
}

TEST_CASE("quantity: arithmetic saturates instead of overflowing") {
  auto huge = q("100000000000Ei");  // about 1.15e38 nano-units, 2/3 of the range
  auto sum = huge + huge;
  CHECK(sum > huge);
  CHECK_FALSE(sum.is_negative());
  auto product = huge * -3;
  CHECK(product.is_negative());
  CHECK(product < q("-1"));
}

TEST_CASE("quantity: comparison is by value across formats") {
  CHECK(q("1Ki") == q("1024"));
  CHECK(q("1k") == q("1000"));
  CHECK(q("1k") < q("1Ki"));
  CHECK(q("1e3") == q("1k"));
  CHECK(q("999m") < q("1"));
  CHECK(q("2") > q("1999m"));
  CHECK(q("1") != q("1001m"));
}

TEST_CASE("quantity: constructors from integers") {
  CHECK(quantity::from_value(2).to_string() == "2");
  CHECK(quantity::from_value(2048, quantity::format::binary_si).to_string() == "2Ki");
  CHECK(quantity::from_milli(1500).to_string() == "1500m");
  CHECK(quantity{}.is_zero());
}
