// SPDX-License-Identifier: Apache-2.0
// rustynet-control: Rustynet control plane over TLS 1.3 only.
#include "control_server_main.hpp"

#include <csignal>
#include <ostream>

#include "control_service.hpp"
#include "rustynet/base/clock.hpp"
#include "service_config.hpp"

namespace rustynet::apps::control_server {
namespace {

constexpr const char* kUsage =
    "usage: rustynet-control [--help] [--version] [--check-config FILE] [--config FILE]\n"
    "\n"
    "Rustynet control plane: serves signed state over TLS 1.3 only.\n"
    "  --check-config FILE  validate the configuration (refuses any TLS version but 1.3) and exit\n"
    "  --config FILE        run the HTTPS control server until SIGINT/SIGTERM\n";

constexpr int kExitUsage = 64;   // EX_USAGE
constexpr int kExitConfig = 78;  // EX_CONFIG

int serve(const ServiceConfig& config, std::ostream& out, std::ostream& err) {
  // Block the stop signals in every thread (the server threads inherit the mask), then wait.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  static_cast<void>(std::signal(SIGPIPE, SIG_IGN));
  auto service = ControlService::start(config, base::system_clock());
  if (!service.has_value()) {
    err << "rustynet-control: refusing to start: " << service.error().message << "\n";
    return kExitConfig;
  }
  out << "rustynet-control: listening on " << config.listen_address << ":" << (*service)->port() << " (TLS 1.3)\n"
      << std::flush;
  int received = 0;
  sigwait(&stop_signals, &received);
  (*service)->stop();
  out << "rustynet-control: stopped\n";
  return 0;
}

}  // namespace

int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    out << kUsage;
    return 0;
  }
  if (args[0] == "--version") {
    out << "rustynet-control " << RUSTYNET_VERSION << "\n";
    return 0;
  }
  if ((args[0] == "--config" || args[0] == "--check-config") && args.size() == 2) {
    auto config = load_service_config(args[1]);
    if (!config.has_value()) {
      err << "rustynet-control: invalid configuration: " << config.error().message << "\n";
      return kExitConfig;
    }
    if (args[0] == "--check-config") {
      out << "rustynet-control: configuration valid (TLS 1.3 only)\n";
      return 0;
    }
    return serve(*config, out, err);
  }
  err << "rustynet-control: unknown argument '" << args[0] << "'\n" << kUsage;
  return kExitUsage;
}

}  // namespace rustynet::apps::control_server
