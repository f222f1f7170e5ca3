#pragma once
// Reads a manifest of the repository (examples/…) as the API server would receive it.

#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "k8s/yaml_json.hpp"

inline nlohmann::json load_manifest(const std::string& relative_path) {
  std::ifstream in(std::string(RAY_OPERATOR_SOURCE_DIR) + "/" + relative_path);
  REQUIRE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  return k8s::parse_yaml(text.str());
}
