#pragma once
// The fault proxy's control endpoint: plain HTTP on 127.0.0.1, one command per request, so a
// test drives it with curl:
//
//   curl -fsS -X POST 'http://127.0.0.1:PORT/error?code=429&retry_after=1&seconds=10'
//   curl -fsS http://127.0.0.1:PORT/status
//
// docs/sandbox.md lists every command and its parameters.

#include <boost/asio/ip/tcp.hpp>
#include <map>
#include <string>

#include "sandbox/fault_proxy/connections.hpp"
#include "sandbox/fault_proxy/fault_plan.hpp"

namespace fault_proxy {

struct control_reply {
  int code = 200;
  std::string body;  // JSON
};

// Carries out one command (the request's path without its leading slash, and its query).
control_reply run_command(const std::string& method, const std::string& name,
                          const std::map<std::string, std::string>& params, fault_plan& plan,
                          connections& conns);

// "/cut?resource=pods" -> {"cut", {{"resource", "pods"}}}, with %-escapes decoded.
std::pair<std::string, std::map<std::string, std::string>> parse_target(const std::string& target);

// Serves commands for ever, one at a time.
void serve_control(boost::asio::ip::tcp::acceptor& acceptor, fault_plan& plan, connections& conns);

}  // namespace fault_proxy
