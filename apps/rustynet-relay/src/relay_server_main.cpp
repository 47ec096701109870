// SPDX-License-Identifier: Apache-2.0
// rustynet-relay: Rustynet relay: forwards tunnel ciphertext between peers; never decrypts.
#include "relay_server_main.hpp"

#include <atomic>
#include <csignal>
#include <ostream>

#include "relay_metrics.hpp"
#include "rustynet/base/clock.hpp"
#include "rustynet/base/file_io.hpp"
#include "rustynet/base/log.hpp"
#include "rustynet/base/metrics_server.hpp"
#include "rustynet/crypto/algorithm_use.hpp"
#include "rustynet/relay/relay_config.hpp"
#include "rustynet/relay/relay_server.hpp"

namespace rustynet::apps::relay_server {
namespace {

constexpr const char* kUsage =
    "usage: rustynet-relay --config PATH [--check-config]\n"
    "       rustynet-relay [--help] [--version]\n"
    "\n"
    "Rustynet relay: forwards tunnel ciphertext between peers; never decrypts.\n"
    "Sessions are authorised by control-signed relay tickets (docs/relay.md).\n"
    "Logs: one JSON object per line on stderr; metrics: config \"metrics\" (docs/observability.md).\n";

constexpr int kExitUsage = 64;    // EX_USAGE
constexpr int kExitConfig = 78;   // EX_CONFIG
constexpr int kExitRuntime = 70;  // EX_SOFTWARE
// The crypto policy refuses an algorithm the relay uses: the same number in all three programs
// (rustynetd's kCryptoPolicy), docs/crypto-policy.md "Startup check".
constexpr int kExitCryptoPolicy = 11;

std::atomic<bool> g_stop{false};

extern "C" void on_stop_signal(int /*signal*/) { g_stop.store(true); }

// Security events as log lines on the error stream (journald under systemd): refusals are
// warnings, the session lifecycle is info.
class LogSink final : public relay::EventSink {
 public:
  explicit LogSink(base::Logger& log) : log_(log) {}
  void record(const relay::SecurityEvent& event) override {
    using Kind = relay::SecurityEventKind;
    const bool lifecycle =
        event.kind == Kind::kSessionBound || event.kind == Kind::kSessionRebound || event.kind == Kind::kSessionExpired;
    log_.log(
        lifecycle ? base::LogLevel::kInfo : base::LogLevel::kWarn, relay::to_string(event.kind), "security event",
        {{"source", event.source}, {"node", event.node_id}, {"session", event.session}, {"decision", event.decision}});
  }

 private:
  base::Logger& log_;
};

// One log line: the core's admission/forwarding counters plus the socket's batching (how many
// datagrams each receive and send carried; an operator sees at once whether UDP offload is in use).
void log_counters(base::Logger& log, const relay::RelayServer& server) {
  const relay::RelayCore& core = server.core();
  const relay::RelayCounters& c = core.counters();
  const relay::UdpIoStats io = server.io_stats();
  log.info("counters", "relay counters",
           {{"sessions", core.session_count()},
            {"replay_entries", core.replay_entry_count()},
            {"rx_datagrams", c.rx_datagrams},
            {"forwarded_datagrams", c.forwarded_datagrams},
            {"forwarded_bytes", c.forwarded_bytes},
            {"dropped_unknown_source", c.dropped_unknown_source},
            {"dropped_malformed", c.dropped_malformed},
            {"dropped_oversize", c.dropped_oversize},
            {"dropped_hello_rate", c.dropped_hello_rate},
            {"dropped_session_rate", c.dropped_session_rate},
            {"dropped_peer_unbound", c.dropped_peer_unbound},
            {"cookies_sent", c.cookies_sent},
            {"cookies_invalid", c.cookies_invalid},
            {"verify_budget_exhausted", c.verify_budget_exhausted},
            {"tickets_verified", c.tickets_verified},
            {"tickets_rejected", c.tickets_rejected},
            {"tickets_replayed", c.tickets_replayed},
            {"sessions_created", c.sessions_created},
            {"sides_bound", c.sides_bound},
            {"sides_rebound", c.sides_rebound},
            {"sessions_expired_idle", c.sessions_expired_idle},
            {"sessions_expired_lifetime", c.sessions_expired_lifetime},
            {"session_limit_hits", c.session_limit_hits},
            {"node_limit_hits", c.node_limit_hits},
            {"replay_store_full", c.replay_store_full},
            {"keepalives", c.keepalives},
            {"send_errors", c.send_errors},
            {"events_suppressed", c.events_suppressed},
            {"socket_gso_enabled", io.gso_enabled},
            {"socket_gro_enabled", io.gro_enabled},
            {"socket_receive_calls", io.receive_calls},
            {"socket_received_messages", io.received_messages},
            {"socket_received_datagrams", io.received_datagrams},
            {"socket_sent_messages", io.sent_messages},
            {"socket_gso_messages", io.gso_messages},
            {"socket_gso_fallbacks", io.gso_fallbacks}});
}

int serve(const std::string& config_path, bool check_only, std::ostream& out, std::ostream& err) {
  base::Logger log("rustynet-relay", err);
  auto text = base::read_file_bounded(config_path, relay::kMaxRelayConfigBytes);
  if (!text.has_value()) {
    log.error("config_unreadable", "cannot read config: " + text.error().describe());
    return kExitConfig;
  }
  auto config = relay::parse_relay_config(*text);
  if (!config.has_value()) {
    log.error("config_invalid", "invalid config " + config_path + ": " + config.error());
    return kExitConfig;
  }
  if (check_only) {
    out << "rustynet-relay: config ok (relay_id " << config->relay_id << ", listen " << config->listen.to_string()
        << ", control key " << config->control_public_key.key_id() << ")\n";
    return 0;
  }
  log.set_level(config->log_level);
  const base::Clock& clock = base::system_clock();
  auto algorithms = crypto::check_algorithms_in_use(config->crypto_policy_file, relay::relay_algorithms(), clock);
  if (!algorithms.has_value()) {
    log.error("crypto_policy_refused", "refusing to start: algorithm not allowed: " + algorithms.error().describe());
    return kExitCryptoPolicy;
  }
  for (const auto& warning : algorithms->warnings) {
    log.warn("crypto_policy_warning", warning);
  }
  LogSink sink(log);
  auto core = relay::RelayCore::create(config->relay_id, config->control_public_key, config->limits, clock, sink);
  if (!core.has_value()) {
    log.error("start_failed", "cannot start: " + core.error());
    return kExitConfig;
  }
  auto server = relay::RelayServer::create(config->listen, std::move(core).value(), clock);
  if (!server.has_value()) {
    log.error("listen_failed", "cannot listen: " + server.error().describe());
    return kExitRuntime;
  }
  auto metrics = RelayMetrics::create();
  if (!metrics.has_value()) {
    log.error("start_failed", "cannot register metrics: " + metrics.error());
    return kExitRuntime;
  }
  std::unique_ptr<base::MetricsServer> metrics_server;
  if (config->metrics_listen) {
    auto started = base::MetricsServer::start(*config->metrics_listen, (*metrics)->registry());
    if (!started.has_value()) {
      log.error("metrics_listen_failed", "cannot serve metrics: " + started.error().describe());
      return kExitRuntime;
    }
    metrics_server = std::move(started).value();
  }
  g_stop.store(false);
  if (std::signal(SIGTERM, on_stop_signal) == SIG_ERR || std::signal(SIGINT, on_stop_signal) == SIG_ERR) {
    log.error("signals", "cannot install signal handlers");
    return kExitRuntime;
  }
  std::vector<base::LogField> started{{"relay_id", config->relay_id},
                                      {"listen", server->local_endpoint().to_string()},
                                      {"control_key_id", config->control_public_key.key_id()}};
  if (metrics_server) {
    started.emplace_back("metrics_port", metrics_server->port());
  }
  log.info("started", "relay started", started);
  const auto interval = std::chrono::seconds(config->stats_interval_seconds);
  auto last_stats = clock.monotonic_now();
  while (!g_stop.load()) {
    auto polled = server->poll_once(std::chrono::milliseconds(200));
    if (!polled.has_value()) {
      log.error("poll_failed", polled.error().describe());
      return kExitRuntime;
    }
    (*metrics)->publish(*server);
    const auto now = clock.monotonic_now();
    if (config->stats_interval_seconds != 0 && now - last_stats >= interval) {
      log_counters(log, *server);
      last_stats = now;
    }
  }
  log_counters(log, *server);
  return 0;
}

}  // namespace

int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    out << kUsage;
    return 0;
  }
  if (args[0] == "--version") {
    out << "rustynet-relay " << RUSTYNET_VERSION << "\n";
    return 0;
  }
  std::string config_path;
  bool check_only = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--config" && i + 1 < args.size()) {
      config_path = args[++i];
    } else if (args[i] == "--check-config") {
      check_only = true;
    } else {
      err << "rustynet-relay: unknown argument '" << args[i] << "'\n" << kUsage;
      return kExitUsage;
    }
  }
  if (config_path.empty()) {
    err << "rustynet-relay: --config is required\n" << kUsage;
    return kExitUsage;
  }
  return serve(config_path, check_only, out, err);
}

}  // namespace rustynet::apps::relay_server
