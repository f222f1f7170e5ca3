#include "sandbox/kubelet_sim/faults.hpp"

#include <charconv>
#include <tuple>

namespace kubelet_sim {

namespace {

std::optional<int64_t> parse_int(const std::string& text, int64_t lo, int64_t hi) {
  int64_t v = 0;
  const char* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data(), end, v);
  if (ec != std::errc() || p != end || text.empty() || v < lo || v > hi) return std::nullopt;
  return v;
}

bool is_true(const std::string& v) {
  return v == "true" || v == "True" || v == "TRUE" || v == "1";
}

bool is_false(const std::string& v) {
  return v == "false" || v == "False" || v == "FALSE" || v == "0" || v.empty();
}

}  // namespace

bool pod_faults::operator==(const pod_faults& o) const {
  return std::tie(fail_exit_code, restart_count, not_ready, start_delay_ms, invalid) ==
         std::tie(o.fail_exit_code, o.restart_count, o.not_ready, o.start_delay_ms, o.invalid);
}

pod_faults parse_pod_faults(const std::map<std::string, std::string>& annotations) {
  pod_faults out;
  const auto bad = [&](const std::string& key, const std::string& value) {
    out.invalid.push_back(key + "=" + value);
  };
  for (const auto& [key, value] : annotations) {
    if (key == fail_annotation) {
      if (auto code = parse_int(value, 1, 255))
        out.fail_exit_code = static_cast<int>(*code);
      else
        bad(key, value);
    } else if (key == restart_annotation) {
      if (auto n = parse_int(value, 0, 1'000'000))
        out.restart_count = static_cast<int>(*n);
      else
        bad(key, value);
    } else if (key == not_ready_annotation) {
      if (is_true(value))
        out.not_ready = true;
      else if (!is_false(value))
        bad(key, value);
    } else if (key == start_delay_annotation) {
      if (auto ms = parse_int(value, 0, 24LL * 3600 * 1000))
        out.start_delay_ms = *ms;
      else
        bad(key, value);
    }
  }
  return out;
}

bool node_marked_not_ready(const std::map<std::string, std::string>& annotations) {
  auto it = annotations.find(not_ready_annotation);
  return it != annotations.end() && is_true(it->second);
}

std::string fail_marker(int exit_code) {
  return std::string("simulated failure: ") + fail_annotation + "=" + std::to_string(exit_code);
}

}  // namespace kubelet_sim
