#include <iostream>

#include "app/options.hpp"

#ifndef RAY_OPERATOR_VERSION
#define RAY_OPERATOR_VERSION "0.0.0"
#endif

int main(int argc, char** argv) {
  const auto outcome = app::parse_options(argc, argv);
  if (!outcome.parsed) {
    std::cerr << "ray-operator: " << outcome.error << "\n(see ray-operator --help)\n";
    return 2;
  }
  const auto& opts = *outcome.parsed;
  if (opts.show_help) {
    std::cout << outcome.help;
    return 0;
  }
  if (opts.show_version) {
    std::cout << "ray-operator " << RAY_OPERATOR_VERSION << "\n";
    return 0;
  }
  std::cerr << "ray-operator: reconciling is not available in this build yet; see --help\n";
  return 1;
}
