#include "sandbox/fault_proxy/control.hpp"

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <charconv>
#include <iostream>
#include <nlohmann/json.hpp>

namespace fault_proxy {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

namespace {

std::string decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    int v = 0;
    if (s[i] == '%' && i + 2 < s.size() &&
        std::from_chars(s.data() + i + 1, s.data() + i + 3, v, 16).ptr == s.data() + i + 3) {
      out += static_cast<char>(v);
      i += 2;
    } else {
      out += s[i] == '+' ? ' ' : s[i];
    }
  }
  return out;
}

control_reply ok(nlohmann::json body = nlohmann::json::object()) {
  body["ok"] = true;
  return {200, body.dump()};
}

control_reply refused(int code, const std::string& why) {
  return {code, nlohmann::json{{"ok", false}, {"error", why}}.dump()};
}

nlohmann::json status_of(const fault_plan& plan, const connections& conns) {
  const auto s = conns.status();
  return {{"connections", s.open},       {"watches", s.watches},
          {"holding", s.holding},        {"cut", s.cut},
          {"refused", s.refused},        {"refusing", conns.refusing()},
          {"requests", plan.requests()}, {"outcomes", plan.outcomes()}};
}

}  // namespace

std::pair<std::string, std::map<std::string, std::string>> parse_target(const std::string& target) {
  const auto q = target.find('?');
  std::string name = decode(target.substr(0, q));
  while (!name.empty() && name.front() == '/') name.erase(0, 1);
  std::map<std::string, std::string> params;
  if (q != std::string::npos) {
    std::string_view query(target);
    query.remove_prefix(q + 1);
    while (!query.empty()) {
      auto amp = query.find('&');
      auto pair = query.substr(0, amp);
      auto eq = pair.find('=');
      if (!pair.empty())
        params[decode(pair.substr(0, eq))] =
            eq == std::string_view::npos ? "" : decode(pair.substr(eq + 1));
      if (amp == std::string_view::npos) break;
      query.remove_prefix(amp + 1);
    }
  }
  return {name, params};
}

control_reply run_command(const std::string& method, const std::string& name,
                          const std::map<std::string, std::string>& params, fault_plan& plan,
                          connections& conns) {
  if (name == "status") return {200, status_of(plan, conns).dump()};
  if (method != "POST") return refused(405, "commands are POSTed; GET /status reads");
  auto only = [&](std::initializer_list<const char*> allowed) -> std::string {
    for (const auto& [key, value] : params) {
      bool known = false;
      for (const char* a : allowed) known |= key == a;
      if (!known) return "unknown parameter \"" + key + "\"";
    }
    return {};
  };
  auto param = [&](const char* key) {
    auto it = params.find(key);
    return it == params.end() ? std::string() : it->second;
  };
  if (name == "cut") {
    if (auto e = only({"resource"}); !e.empty()) return refused(400, e);
    return ok({{"cut", conns.cut_watches(param("resource"))}});
  }
  if (name == "cut-all") {
    if (auto e = only({}); !e.empty()) return refused(400, e);
    return ok({{"cut", conns.cut_all()}});
  }
  if (name == "blackhole") {
    if (auto e = only({"seconds"}); !e.empty()) return refused(400, e);
    const std::string s = param("seconds");
    if (s.empty()) {
      conns.hold();
      return ok();
    }
    int seconds = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), seconds);
    if (ec != std::errc() || end != s.data() + s.size() || seconds <= 0)
      return refused(400, "seconds must be a positive integer, not \"" + s + "\"");
    conns.hold_for(std::chrono::seconds(seconds));
    return ok();
  }
  if (name == "release") {
    if (auto e = only({}); !e.empty()) return refused(400, e);
    return ok({{"cut", conns.release()}});
  }
  if (name == "refuse" || name == "accept") {
    if (auto e = only({}); !e.empty()) return refused(400, e);
    conns.refuse(name == "refuse");
    return ok({{"cut", name == "refuse" ? conns.cut_all() : 0}});
  }
  if (name == "reset") {
    // Back to passing everything: no rule, no latency, no hold, new connections taken.
    if (auto e = plan.command("reset", params, clock::now()); !e.empty()) return refused(400, e);
    conns.refuse(false);
    conns.release();
    return ok();
  }
  if (auto e = plan.command(name, params, clock::now()); !e.empty())
    return refused(e.rfind("unknown command", 0) == 0 ? 404 : 400, e);
  return ok();
}

void serve_control(tcp::acceptor& acceptor, fault_plan& plan, connections& conns) {
  for (;;) {
    beast::error_code ec;
    tcp::socket socket(acceptor.get_executor());
    acceptor.accept(socket, ec);
    if (ec) continue;
    beast::flat_buffer buffer;
    for (;;) {
      http::request<http::string_body> req;
      http::read(socket, buffer, req, ec);
      if (ec) break;
      auto [name, params] = parse_target(std::string(req.target()));
      const control_reply r =
          run_command(std::string(req.method_string()), name, params, plan, conns);
      if (name != "status")
        std::cerr << "fault-proxy: " << req.method_string() << " " << req.target() << " -> "
                  << r.code << " " << r.body << std::endl;
      http::response<http::string_body> res{static_cast<http::status>(r.code), req.version()};
      res.set(http::field::content_type, "application/json");
      res.keep_alive(req.keep_alive());
      res.body() = r.body + "\n";
      res.prepare_payload();
      http::write(socket, res, ec);
      if (ec || !req.keep_alive()) break;
    }
  }
}

}  // namespace fault_proxy
