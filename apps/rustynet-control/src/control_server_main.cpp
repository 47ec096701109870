// SPDX-License-Identifier: Apache-2.0
// rustynet-control: Rustynet control plane over TLS 1.3 only.
#include "control_server_main.hpp"

#include <systemd/sd-daemon.h>

#include <cerrno>
#include <csignal>
#include <ctime>
#include <ostream>

#include "control_service.hpp"
#include "init_command.hpp"
#include "rustynet/base/clock.hpp"
#include "rustynet/base/log.hpp"
#include "service_config.hpp"

namespace rustynet::apps::control_server {
namespace {

constexpr const char* kUsage =
    "usage: rustynet-control [--help] [--version] [--check-config FILE] [--config FILE]\n"
    "       rustynet-control init --state-dir DIR --config-out FILE SECRET ... (init --help)\n"
    "\n"
    "Rustynet control plane: serves signed state over TLS 1.3 only.\n"
    "  init                 create the signing key, TLS certificate and configuration\n"
    "  --check-config FILE  validate the configuration (refuses any TLS version but 1.3) and exit\n"
    "  --config FILE        run the HTTPS control server until SIGINT/SIGTERM (sd_notify READY and\n"
    "                       WATCHDOG when run by systemd)\n"
    "Logs: one JSON object per line on stderr (config log_level); security events go to\n"
    "security_event_log; metrics: config \"metrics\" (docs/observability.md).\n";

constexpr std::string_view kProgram = "rustynet-control";
constexpr int kExitUsage = 64;   // EX_USAGE
constexpr int kExitConfig = 78;  // EX_CONFIG
// The crypto policy refuses an algorithm in use: the same number in all three programs.
constexpr int kExitCryptoPolicy = 11;

// Waits for SIGINT/SIGTERM; with a systemd watchdog, pings it every half period meanwhile.
int wait_for_stop(const sigset_t& stop_signals) {
  std::uint64_t watchdog_usec = 0;
  const bool watchdog = sd_watchdog_enabled(0, &watchdog_usec) > 0 && watchdog_usec > 0;
  const std::uint64_t half = watchdog_usec / 2;
  const timespec interval{static_cast<time_t>(half / 1'000'000U), static_cast<long>((half % 1'000'000U) * 1000U)};
  for (;;) {
    if (!watchdog) {
      int received = 0;
      if (sigwait(&stop_signals, &received) == 0) {
        return received;
      }
      continue;
    }
    const int received = sigtimedwait(&stop_signals, nullptr, &interval);
    if (received > 0) {
      return received;
    }
    if (errno == EAGAIN) {
      static_cast<void>(sd_notify(0, "WATCHDOG=1"));
    }
  }
}

int serve(const ServiceConfig& config, std::ostream& err) {
  base::Logger log(std::string(kProgram), err, config.log_level);
  // Block the stop signals in every thread (the server threads inherit the mask), then wait.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  static_cast<void>(std::signal(SIGPIPE, SIG_IGN));
  auto service = ControlService::start(config, base::system_clock());
  if (!service.has_value()) {
    log.error("refused_to_start", "refusing to start: " + service.error().message);
    static_cast<void>(sd_notify(0, "STATUS=refusing to start"));
    return service.error().kind == ConfigErrorKind::kCryptoPolicy ? kExitCryptoPolicy : kExitConfig;
  }
  std::vector<base::LogField> fields{{"address", config.listen_address},
                                     {"port", (*service)->port()},
                                     {"control_public_key", (*service)->control_public_key().to_base64()}};
  if (const auto metrics = (*service)->metrics_port()) {
    fields.emplace_back("metrics_port", *metrics);
  }
  log.info("listening",
           "listening on " + config.listen_address + ":" + std::to_string((*service)->port()) + " (TLS 1.3)", fields);
  static_cast<void>(sd_notify(0, "READY=1\nSTATUS=serving"));
  wait_for_stop(stop_signals);
  static_cast<void>(sd_notify(0, "STOPPING=1"));
  (*service)->stop();
  log.info("stopped", "stopped");
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
  if (args[0] == "init") {
    return run_init(std::vector<std::string>(args.begin() + 1, args.end()), out, err);
  }
  if ((args[0] == "--config" || args[0] == "--check-config") && args.size() == 2) {
    auto config = load_service_config(args[1]);
    if (!config.has_value()) {
      base::Logger(std::string(kProgram), err)
          .error("config_invalid", "invalid configuration: " + config.error().message);
      return kExitConfig;
    }
    if (args[0] == "--check-config") {
      out << "rustynet-control: configuration valid (TLS 1.3 only)\n";
      return 0;
    }
    return serve(*config, err);
  }
  err << "rustynet-control: unknown argument '" << args[0] << "'\n" << kUsage;
  return kExitUsage;
}

}  // namespace rustynet::apps::control_server
