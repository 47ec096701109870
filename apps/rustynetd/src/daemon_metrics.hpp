// SPDX-License-Identifier: Apache-2.0
// DaemonMetrics: rustynetd's Prometheus metrics (docs/observability.md "rustynetd").
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "daemon_error.hpp"
#include "rustynet/base/metrics.hpp"

namespace rustynet::apps::daemon {

// What the daemon reads from its own state at scrape time (taken under its lock; the same values the
// local API's status and peers report).
struct DaemonSnapshot {
  struct Peer {
    std::string node_id;
    std::optional<std::int64_t> last_handshake_unix;
    std::uint64_t rx_bytes = 0;
    std::uint64_t tx_bytes = 0;
  };
  std::size_t peers_configured = 0;
  std::uint64_t generation = 0;
  bool control_connected = false;
  bool tunnel_running = false;
  std::uint64_t filter_restores = 0;
  std::uint64_t apply_rollbacks = 0;
  std::vector<Peer> peers;               // from the backend's runtime stats; empty while not running
  std::optional<std::int64_t> now_unix;  // for handshake ages; nullopt: wall clock unusable, no ages
};

enum class SyncOutcome : std::uint8_t { kOk, kError, kInterrupted };

// Counters the daemon bumps on its code paths, plus the snapshot families. Thread-safe (atomics).
class DaemonMetrics {
 public:
  // Registers every metric. `snapshot` runs on the metrics thread once per scrape.
  [[nodiscard]] static DaemonResult<std::unique_ptr<DaemonMetrics>> create(std::function<DaemonSnapshot()> snapshot);

  // One control sync round trip ended (a long-poll that ends empty lasts up to long_poll_seconds).
  void sync_finished(SyncOutcome outcome, std::chrono::nanoseconds elapsed) noexcept;
  // A verified state with a new generation was applied (true) or refused / rolled back (false).
  void applied(bool ok) noexcept;

  [[nodiscard]] const base::MetricsRegistry& registry() const noexcept { return registry_; }

  DaemonMetrics() = default;

 private:
  base::MetricsRegistry registry_;
  base::Counter* sync_ok_ = nullptr;
  base::Counter* sync_error_ = nullptr;
  base::Counter* sync_interrupted_ = nullptr;
  base::Histogram* sync_seconds_ = nullptr;
  base::Counter* apply_ok_ = nullptr;
  base::Counter* apply_error_ = nullptr;
};

}  // namespace rustynet::apps::daemon
