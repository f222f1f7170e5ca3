#include "sandbox/fault_proxy/fault_plan.hpp"

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>

namespace fault_proxy {

namespace {

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find(sep, start);
    if (end == std::string_view::npos) end = s.size();
    out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

// The value of `key` in a query string ("a=1&b=2"), if present.
std::optional<std::string_view> query_value(std::string_view query, std::string_view key) {
  for (auto pair : split(query, '&')) {
    auto eq = pair.find('=');
    if (pair.substr(0, eq) == key)
      return eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
  }
  return std::nullopt;
}

std::optional<int64_t> number(std::string_view s) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

const char* reason_of(int code) {
  switch (code) {
    case 409:
      return "Conflict";
    case 410:
      return "Expired";
    case 429:
      return "TooManyRequests";
    case 500:
      return "InternalError";
    case 503:
      return "ServiceUnavailable";
    case 504:
      return "Timeout";
    default:
      return code >= 500 ? "InternalError" : "BadRequest";
  }
}

// The parameters every rule takes, read from `params` into `match` and `limits`; what is left
// unread is the caller's. Returns what is wrong, or "".
std::string read_common(std::map<std::string, std::string>& params, matcher& match,
                        rule_limits& limits, clock::time_point now) {
  auto take = [&](const char* key) -> std::optional<std::string> {
    auto it = params.find(key);
    if (it == params.end()) return std::nullopt;
    std::string v = it->second;
    params.erase(it);
    return v;
  };
  if (auto r = take("resource")) match.resource = *r;
  if (auto m = take("methods"))
    for (auto method : split(*m, ','))
      if (!method.empty()) match.methods.insert(std::string(method));
  if (auto w = take("watches")) {
    if (*w == "any")
      match.watch = matcher::watches::any;
    else if (*w == "only")
      match.watch = matcher::watches::only;
    else if (*w == "none")
      match.watch = matcher::watches::none;
    else
      return "watches must be any, only or none, not \"" + *w + "\"";
  }
  if (auto s = take("seconds")) {
    auto n = number(*s);
    if (!n || *n <= 0) return "seconds must be a positive integer, not \"" + *s + "\"";
    limits.until = now + std::chrono::seconds(*n);
  }
  if (auto c = take("count")) {
    auto n = number(*c);
    if (!n || *n <= 0) return "count must be a positive integer, not \"" + *c + "\"";
    limits.remaining = *n;
  }
  if (auto p = take("percent")) {
    auto n = number(*p);
    if (!n || *n < 0 || *n > 100) return "percent must be 0..100, not \"" + *p + "\"";
    limits.percent = static_cast<int>(*n);
  }
  return {};
}

std::string leftover(const std::map<std::string, std::string>& params) {
  if (params.empty()) return {};
  return "unknown parameter \"" + params.begin()->first + "\"";
}

}  // namespace

request_info describe(std::string method, std::string_view target) {
  request_info r;
  r.method = std::move(method);
  const auto q = target.find('?');
  const std::string_view path = target.substr(0, q);
  const std::string_view query = q == std::string_view::npos ? "" : target.substr(q + 1);
  if (auto w = query_value(query, "watch")) r.watch = *w == "1" || *w == "true";
  std::vector<std::string_view> parts;
  for (auto p : split(path, '/'))
    if (!p.empty()) parts.push_back(p);
  // /api/VERSION/... or /apis/GROUP/VERSION/...
  size_t i = !parts.empty() && parts[0] == "api" ? 2 : !parts.empty() && parts[0] == "apis" ? 3 : 0;
  if (i == 0 || i >= parts.size()) return r;
  if (parts[i] == "watch") {
    r.watch = true;
    ++i;
  }
  if (i < parts.size() && parts[i] == "namespaces" && i + 2 < parts.size()) i += 2;
  if (i < parts.size()) r.resource = std::string(parts[i]);
  if (r.watch) {
    auto rv = query_value(query, "resourceVersion");
    r.resumes = rv && !rv->empty() && *rv != "0";
  }
  return r;
}

bool matcher::matches(const request_info& r) const {
  if (!resource.empty() && r.resource != resource) return false;
  if (!methods.empty() && !methods.count(r.method)) return false;
  if (watch == watches::only && !r.watch) return false;
  if (watch == watches::none && r.watch) return false;
  return true;
}

bool rule_limits::live(clock::time_point now) const {
  return remaining != 0 && (!until || now < *until);
}

std::string status_body(int code) {
  const std::string reason = reason_of(code);
  return nlohmann::json{{"kind", "Status"},
                        {"apiVersion", "v1"},
                        {"metadata", nlohmann::json::object()},
                        {"status", "Failure"},
                        {"message", "injected by the fault proxy: " + reason},
                        {"reason", reason},
                        {"code", code}}
      .dump();
}

bool fault_plan::hits(rule_limits& limits, clock::time_point now) {
  if (!limits.live(now)) return false;
  if (limits.percent < 100 && std::uniform_int_distribution<int>(0, 99)(random_) >= limits.percent)
    return false;
  if (limits.remaining > 0) --limits.remaining;
  return true;
}

decision fault_plan::decide(const request_info& r, clock::time_point now) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++requests_[r.method];
  decision d;
  auto expired = [now](const auto& rule) { return !rule.limits.live(now); };
  gones_.erase(std::remove_if(gones_.begin(), gones_.end(), expired), gones_.end());
  drops_.erase(std::remove_if(drops_.begin(), drops_.end(), expired), drops_.end());
  errors_.erase(std::remove_if(errors_.begin(), errors_.end(), expired), errors_.end());
  if (r.watch && r.resumes)
    for (auto& g : gones_)
      if (g.match.matches(r) && hits(g.limits, now)) {
        d.what = decision::action::gone;
        ++outcomes_["gone"];
        return d;
      }
  for (auto& e : errors_)
    if (e.match.matches(r) && hits(e.limits, now)) {
      d.what = decision::action::respond;
      d.code = e.code;
      d.retry_after = e.retry_after;
      ++outcomes_["error " + std::to_string(e.code)];
      return d;
    }
  for (auto& drop : drops_)
    if (drop.match.matches(r) && hits(drop.limits, now)) {
      d.what = decision::action::drop;
      ++outcomes_["dropped"];
      return d;
    }
  if (latency_until_ && now >= *latency_until_) {
    latency_ = {};
    latency_until_.reset();
  }
  d.delay = latency_;
  ++outcomes_[d.delay.count() > 0 ? "delayed" : "forwarded"];
  return d;
}

std::string fault_plan::command(const std::string& name, std::map<std::string, std::string> params,
                                clock::time_point now) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (name == "reset") {
    if (auto e = leftover(params); !e.empty()) return e;
    errors_.clear();
    drops_.clear();
    gones_.clear();
    latency_ = {};
    latency_until_.reset();
    return {};
  }
  if (name == "latency") {
    auto it = params.find("ms");
    if (it == params.end()) return "latency needs ms";
    auto ms = number(it->second);
    if (!ms || *ms < 0) return "ms must be a non-negative integer, not \"" + it->second + "\"";
    params.erase(it);
    std::optional<clock::time_point> until;
    if (auto s = params.find("seconds"); s != params.end()) {
      auto n = number(s->second);
      if (!n || *n <= 0) return "seconds must be a positive integer, not \"" + s->second + "\"";
      until = now + std::chrono::seconds(*n);
      params.erase(s);
    }
    if (auto e = leftover(params); !e.empty()) return e;
    latency_ = std::chrono::milliseconds(*ms);
    latency_until_ = until;
    return {};
  }
  if (name == "error") {
    error_rule rule;
    if (auto e = read_common(params, rule.match, rule.limits, now); !e.empty()) return e;
    auto code = params.find("code");
    if (code == params.end()) return "error needs code";
    auto c = number(code->second);
    if (!c || *c < 400 || *c > 599) return "code must be 400..599, not \"" + code->second + "\"";
    rule.code = static_cast<int>(*c);
    params.erase(code);
    if (auto ra = params.find("retry_after"); ra != params.end()) {
      auto s = number(ra->second);
      if (!s || *s < 0) return "retry_after must be a non-negative integer";
      rule.retry_after = static_cast<int>(*s);
      params.erase(ra);
    }
    if (auto e = leftover(params); !e.empty()) return e;
    errors_.push_back(std::move(rule));
    return {};
  }
  if (name == "drop" || name == "gone") {
    simple_rule rule;
    if (auto e = read_common(params, rule.match, rule.limits, now); !e.empty()) return e;
    if (auto e = leftover(params); !e.empty()) return e;
    (name == "drop" ? drops_ : gones_).push_back(std::move(rule));
    return {};
  }
  return "unknown command \"" + name + "\"";
}

std::map<std::string, int64_t> fault_plan::requests() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return requests_;
}

std::map<std::string, int64_t> fault_plan::outcomes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return outcomes_;
}

}  // namespace fault_proxy
