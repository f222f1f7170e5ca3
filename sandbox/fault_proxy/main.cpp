// fault-proxy: sits between a client (the operator) and the sandbox's API server and, on
// command, misbehaves as a network or an overloaded server does. See docs/sandbox.md.
#include <signal.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/program_options.hpp>
#include <fstream>
#include <iostream>
#include <thread>

#include "sandbox/fault_proxy/connections.hpp"
#include "sandbox/fault_proxy/control.hpp"
#include "sandbox/fault_proxy/fault_plan.hpp"
#include "sandbox/fault_proxy/proxy.hpp"

namespace po = boost::program_options;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

std::pair<std::string, std::string> host_port(const std::string& flag, const std::string& value) {
  const auto colon = value.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == value.size())
    throw po::error("--" + flag + " must be HOST:PORT, not \"" + value + "\"");
  return {value.substr(0, colon), value.substr(colon + 1)};
}

tcp::acceptor listen_on(asio::io_context& io, const std::string& flag, const std::string& value) {
  auto [host, port] = host_port(flag, value);
  tcp::endpoint at(asio::ip::make_address(host), static_cast<unsigned short>(std::stoi(port)));
  tcp::acceptor a(io);
  a.open(at.protocol());
  a.set_option(tcp::acceptor::reuse_address(true));
  a.bind(at);
  a.listen(asio::socket_base::max_listen_connections);
  return a;
}

}  // namespace

int main(int argc, char** argv) {
  std::string upstream, cert, key, ca, listen, control, ports_file;
  uint64_t seed = 1;
  po::options_description desc("fault-proxy options");
  desc.add_options()("help,h", "show this help")("upstream", po::value(&upstream)->required(),
                                                 "the API server, HOST:PORT (TLS)")(
      "ca", po::value(&ca)->required(), "CA the API server's certificate is checked against")(
      "cert", po::value(&cert)->required(),
      "certificate served to clients (the API server's own, so clients verify as before)")(
      "key", po::value(&key)->required(), "its private key")(
      "listen", po::value(&listen)->default_value("127.0.0.1:0"),
      "where clients connect (port 0: any free port)")(
      "control", po::value(&control)->default_value("127.0.0.1:0"),
      "the control endpoint, plain HTTP (port 0: any free port)")(
      "ports-file", po::value(&ports_file),
      "write `listen=PORT` and `control=PORT` here once both listen")(
      "seed", po::value(&seed)->default_value(1), "seed of the percentages' random choices");
  try {
    po::variables_map vm;
    po::store(po::parse_command_line(argc, argv, desc), vm);
    if (vm.count("help")) {
      std::cout << desc;
      return 0;
    }
    po::notify(vm);
    auto [up_host, up_port] = host_port("upstream", upstream);

    ::signal(SIGPIPE, SIG_IGN);  // a client gone mid-write is an error code, not a death
    asio::io_context io;
    asio::ssl::context serving(asio::ssl::context::tls_server);
    serving.use_certificate_chain_file(cert);
    serving.use_private_key_file(key, asio::ssl::context::pem);
    asio::ssl::context upstream_tls(asio::ssl::context::tls_client);
    upstream_tls.load_verify_file(ca);

    tcp::acceptor data = listen_on(io, "listen", listen);
    tcp::acceptor ctl = listen_on(io, "control", control);
    if (!ports_file.empty()) {
      const std::string tmp = ports_file + ".tmp";
      std::ofstream(tmp) << "listen=" << data.local_endpoint().port()
                         << "\ncontrol=" << ctl.local_endpoint().port() << "\n";
      std::rename(tmp.c_str(), ports_file.c_str());
    }
    std::cerr << "fault-proxy: on " << data.local_endpoint() << " to " << upstream
              << ", control on " << ctl.local_endpoint() << std::endl;

    fault_proxy::fault_plan plan(seed);
    fault_proxy::connections conns;
    fault_proxy::proxy proxy(serving, upstream_tls, {up_host, up_port}, plan, conns);
    std::thread control_thread([&] { fault_proxy::serve_control(ctl, plan, conns); });
    proxy.run(data);
    control_thread.join();
  } catch (const po::error& e) {
    std::cerr << "fault-proxy: " << e.what() << "\n" << desc;
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "fault-proxy: " << e.what() << std::endl;
    return 1;
  }
}
