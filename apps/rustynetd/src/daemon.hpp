// SPDX-License-Identifier: Apache-2.0
// Daemon: rustynetd's startup sequence, control sync loop, local API handler and shutdown.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "address_monitor.hpp"
#include "control_link.hpp"
#include "daemon_config.hpp"
#include "daemon_error.hpp"
#include "daemon_metrics.hpp"
#include "local_api.hpp"
#include "membership.hpp"
#include "relay_manager.hpp"
#include "rustynet/base/clock.hpp"
#include "rustynet/base/log.hpp"
#include "rustynet/base/metrics_server.hpp"
#include "rustynet/crypto/algorithm_policy.hpp"
#include "rustynet/crypto/trust_state.hpp"
#include "state_applier.hpp"
#include "tunnel_runtime.hpp"
#include "unix_socket_server.hpp"

namespace rustynet::apps::daemon {

// Seams for tests; production uses the defaults.
struct DaemonDeps {
  const base::Clock* clock = nullptr;  // default: base::system_clock()
  std::function<DaemonResult<std::unique_ptr<backend_api::TunnelBackend>>(const BackendConfig&)> backend_factory;
  // default: make_memory_filter (composition_root.hpp)
  std::function<DaemonResult<std::unique_ptr<backend_api::PacketFilterBackend>>(const BackendConfig&,
                                                                                const std::string& interface_name)>
      filter_factory;
  std::function<DaemonResult<std::unique_ptr<ControlLink>>(const DaemonConfig&, crypto::Ed25519SigningKey,
                                                           const base::Clock&)>
      link_factory;
  // nullopt: $CREDENTIALS_DIRECTORY (crypto::detect_credentials_directory()).
  std::optional<std::optional<std::string>> credentials_directory;
  std::function<void(std::string_view)> notify;  // default: notify_service_manager
  std::function<std::uint64_t()> random;         // backoff jitter; default: a seeded PRNG
  // The data plane's algorithm-policy names for a backend config (composition root:
  // data_plane_algorithms); default: none (the memory backend moves no packets).
  std::function<std::vector<std::string>(const BackendConfig&)> data_plane_algorithms;
};

// The algorithms this daemon puts to use with `config`, assembled from the facilities it runs
// (key custody, Ed25519 tokens and signatures, X25519 tunnel keys, signed envelopes, the trust
// state, the control link's TLS policy) plus `data_plane` (the backend's). Every one must be
// allowed by the crypto policy at startup and reload.
[[nodiscard]] std::vector<std::string> algorithms_in_use(const std::vector<std::string>& data_plane);

class Daemon final : public LocalApiHandler {
 public:
  // Startup in the fixed order of docs/daemon.md: config -> crypto policy -> key custody ->
  // trust state -> backend (started now only if a verified last state exists) -> local API ->
  // control link -> sync loop. Returns the first failure; nothing started before it is left
  // running (the partly built daemon is torn down).
  [[nodiscard]] static DaemonResult<std::unique_ptr<Daemon>> start(const std::string& config_path, DaemonDeps deps,
                                                                   std::ostream& log);
  ~Daemon() override;
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;
  Daemon(Daemon&&) = delete;
  Daemon& operator=(Daemon&&) = delete;

  // SIGTERM: stops the sync loop and the local API, shuts the backend down (interface removed).
  void stop();
  // The bound metrics port (nullopt: metrics off). Tests and tools.
  [[nodiscard]] std::optional<std::uint16_t> metrics_port() const;
  // SIGHUP / local API "reload": re-reads the config and crypto policy; an invalid or
  // restart-requiring change keeps the old ones and returns why. Errors: kConfig, kCryptoPolicy.
  [[nodiscard]] DaemonStatus reload_config();

  // Blocks until the sync loop has applied generation >= `generation` or `timeout` passes
  // (tests and tools; uses a condition variable, no polling).
  [[nodiscard]] bool wait_for_generation(std::uint64_t generation, std::chrono::milliseconds timeout);
  // Blocks until the sync loop has made `count` attempts (successful or not).
  [[nodiscard]] bool wait_for_attempts(std::uint64_t count, std::chrono::milliseconds timeout);

  // LocalApiHandler
  Reply status() override;
  Reply peers() override;
  Reply routes() override;
  Reply netmap() override;
  Reply policy_check(const PolicyQuery& query) override;
  Reply reload() override { return reload_reply(); }

  [[nodiscard]] std::string last_error();
  [[nodiscard]] bool tunnel_running();
  // The relay links of relayed peers (status, tests).
  [[nodiscard]] RelayManager& relays() { return *relays_; }
  // The host's underlay addresses changed (AddressMonitor; tests call it directly): the parked
  // long-poll is interrupted and control is asked again at once on a fresh connection (control
  // records the new source address), and every peer gets a packet from the new address.
  void underlay_changed(const AddressChange& change);

  struct Parts;  // everything built during startup, in order
  Daemon(std::string config_path, DaemonDeps deps, std::ostream& log);

 private:
  Reply reload_reply();
  [[nodiscard]] std::vector<std::string> data_plane_algorithms(const BackendConfig& backend) const;
  void sync_loop();
  // While the runtime watches freshly configured peers, checks them every kFreshPeerCheck
  // (TunnelRuntime::watch_fresh_peers: crossed handshakes, see tunnel_runtime.hpp); otherwise
  // sleeps on the state condition variable until an apply configures fresh peers.
  void handshake_watch_loop();
  // Every kFilterCheck, reads the packet filter back from the kernel and restores it if it is
  // missing or was altered behind the daemon's back (TunnelRuntime::check_filter).
  void filter_watch_loop();
  void schedule_reinitiation();  // mutex_ held; after an apply
  void log(base::LogLevel level, std::string_view event, const std::string& message);
  // The scrape-time view of the daemon for its metrics (takes mutex_).
  DaemonSnapshot snapshot();
  void set_status(const std::string& text);

  std::string config_path_;
  DaemonDeps deps_;
  std::unique_ptr<base::Logger> logger_;  // JSON lines on the log stream; level from the config
  std::unique_ptr<DaemonMetrics> metrics_;
  std::unique_ptr<base::MetricsServer> metrics_server_;  // only with config "metrics"
  bool stop_called_ = false;                             // stop() runs once (main thread or destructor)

  std::mutex mutex_;  // guards everything below and every backend call
  std::condition_variable changed_;
  DaemonConfig config_;
  std::optional<crypto::AlgorithmPolicy> crypto_policy_;
  std::unique_ptr<crypto::TrustStore> trust_;
  std::unique_ptr<TunnelRuntime> runtime_;
  std::unique_ptr<StateApplier> applier_;
  std::unique_ptr<RelayManager> relays_;  // own lock; taken after mutex_, never before it
  std::unique_ptr<ControlLink> link_;
  std::unique_ptr<LocalApiServer> api_;
  bool stopping_ = false;
  bool connected_ = false;
  std::optional<std::int64_t> last_sync_unix_;
  std::string last_error_;
  bool apply_failed_ = false;
  std::uint64_t attempts_ = 0;
  MembershipWatch membership_;                 // guarded by mutex_
  bool resync_now_ = false;                    // underlay changed: the sync loop skips its wait and asks again
  std::unique_ptr<AddressMonitor> addresses_;  // nullptr if it could not start (logged)
  std::thread sync_thread_;
  std::thread handshake_thread_;
  std::thread filter_thread_;
  std::string filter_error_;  // the last filter read-back or restore failure (empty: none)
};

}  // namespace rustynet::apps::daemon
