#include "k8s/json_decode.hpp"

#include <catch2/catch.hpp>

using k8s::parse_api_json;
using nlohmann::json;

namespace {

const char* const managed =
    R"j([{"manager":"kubectl","operation":"Update","fieldsType":"FieldsV1",)j"
    R"j("fieldsV1":{"f:metadata":{"f:labels":{".":{},"f:app":{}}}}}])j";

}  // namespace

TEST_CASE("api json: an object's managedFields are not kept, the rest of its metadata is") {
  const auto doc = parse_api_json(std::string(R"j({"kind":"Pod","metadata":{"name":"p",)j") +
                                  R"j("managedFields":)j" + managed +
                                  R"j(,"labels":{"app":"x"}},"spec":{"nodeName":"n"}})j");
  CHECK(doc == json::parse(R"j({"kind":"Pod","metadata":{"name":"p","labels":{"app":"x"}},)j"
                           R"j("spec":{"nodeName":"n"}})j"));
}

TEST_CASE("api json: every item of a List loses its managedFields") {
  const auto doc =
      parse_api_json(std::string(R"j({"metadata":{"resourceVersion":"7"},"items":[)j") +
                     R"j({"metadata":{"name":"a","managedFields":)j" + managed + R"j(}},)j" +
                     R"j({"metadata":{"managedFields":)j" + managed + R"j(,"name":"b"}}]})j");
  CHECK(doc == json::parse(R"j({"metadata":{"resourceVersion":"7"},)j"
                           R"j("items":[{"metadata":{"name":"a"}},{"metadata":{"name":"b"}}]})j"));
}

TEST_CASE("api json: a watch event's object loses its managedFields") {
  const auto doc = parse_api_json(std::string(R"j({"type":"ADDED","object":{"metadata":)j") +
                                  R"j({"managedFields":)j" + managed + R"j(,"uid":"u"}}})j");
  CHECK(doc == json::parse(R"j({"type":"ADDED","object":{"metadata":{"uid":"u"}}})j"));
}

TEST_CASE("api json: a managedFields key outside metadata is data, and is kept") {
  const char* const text =
      R"j({"spec":{"managedFields":[1]},"data":{"metadata":"m","x":{"managedFields":2}},)j"
      R"j("items":[{"managedFields":3}]})j";
  CHECK(parse_api_json(text) == json::parse(text));
}

TEST_CASE("api json: text that is not JSON is discarded") {
  CHECK(parse_api_json(R"j({"metadata":{"managedFields":[)j").is_discarded());
  CHECK(parse_api_json("").is_discarded());
}
