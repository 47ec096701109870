// SPDX-License-Identifier: Apache-2.0
// DaemonMetrics: registration of rustynetd's metrics and the scrape-time snapshot families.
#include "daemon_metrics.hpp"

namespace rustynet::apps::daemon {
namespace {

using base::MetricSample;
using base::MetricType;

// Round trips from a LAN control (ms) up to a full long-poll (25 s default, 55 s maximum).
const std::vector<double> kSyncBuckets{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};

std::vector<std::vector<MetricSample>> collect(const DaemonSnapshot& s) {
  std::vector<MetricSample> age;
  std::vector<MetricSample> rx;
  std::vector<MetricSample> tx;
  for (const auto& peer : s.peers) {
    if (peer.last_handshake_unix && s.now_unix) {
      // A wall clock stepped back makes an age negative: report 0 rather than a negative age.
      age.push_back(
          {{peer.node_id}, static_cast<double>(std::max<std::int64_t>(0, *s.now_unix - *peer.last_handshake_unix))});
    }
    rx.push_back({{peer.node_id}, static_cast<double>(peer.rx_bytes)});
    tx.push_back({{peer.node_id}, static_cast<double>(peer.tx_bytes)});
  }
  const auto one = [](double value) { return std::vector<MetricSample>{MetricSample{{}, value}}; };
  return {one(static_cast<double>(s.peers_configured)),
          one(static_cast<double>(s.generation)),
          one(s.control_connected ? 1 : 0),
          one(s.tunnel_running ? 1 : 0),
          one(static_cast<double>(s.filter_restores)),
          one(static_cast<double>(s.apply_rollbacks)),
          std::move(age),
          std::move(rx),
          std::move(tx)};
}

DaemonError metrics_fail(const base::MetricsError& error) {
  return DaemonError{DaemonErrorKind::kInternal, error.message};
}

}  // namespace

DaemonResult<std::unique_ptr<DaemonMetrics>> DaemonMetrics::create(std::function<DaemonSnapshot()> snapshot) {
  auto out = std::make_unique<DaemonMetrics>();
  auto& r = out->registry_;
  const auto check = [](auto result) -> DaemonResult<std::remove_cvref_t<decltype(result.value())>> {
    if (!result.has_value()) {
      return base::unexpected(metrics_fail(result.error()));
    }
    return result.value();
  };
  auto sync = r.counter_family("rustynetd_control_sync_total", "Control sync round trips by outcome.", {"outcome"});
  RUSTYNET_ASSIGN_OR_RETURN(auto* sync_family, check(std::move(sync)));
  RUSTYNET_ASSIGN_OR_RETURN(out->sync_ok_, check(sync_family->with({"ok"})));
  RUSTYNET_ASSIGN_OR_RETURN(out->sync_error_, check(sync_family->with({"error"})));
  RUSTYNET_ASSIGN_OR_RETURN(out->sync_interrupted_, check(sync_family->with({"interrupted"})));
  RUSTYNET_ASSIGN_OR_RETURN(
      out->sync_seconds_,
      check(r.histogram("rustynetd_control_sync_duration_seconds",
                        "Duration of control sync round trips (a long-poll that ends empty waits up to "
                        "control.long_poll_seconds).",
                        kSyncBuckets)));
  auto apply = r.counter_family("rustynetd_apply_total",
                                "Verified states with a new generation applied (ok) or refused/rolled back (error).",
                                {"outcome"});
  RUSTYNET_ASSIGN_OR_RETURN(auto* apply_family, check(std::move(apply)));
  RUSTYNET_ASSIGN_OR_RETURN(out->apply_ok_, check(apply_family->with({"ok"})));
  RUSTYNET_ASSIGN_OR_RETURN(out->apply_error_, check(apply_family->with({"error"})));
  using Family = base::MetricsRegistry::CollectedFamily;
  auto group = r.collected_group(
      {Family{"rustynetd_peers_configured", "Peers configured on the tunnel.", MetricType::kGauge, {}},
       Family{
           "rustynetd_state_generation", "Generation of the applied verified state (0: none).", MetricType::kGauge, {}},
       Family{"rustynetd_control_connected", "1 if the last control sync succeeded.", MetricType::kGauge, {}},
       Family{"rustynetd_tunnel_running", "1 while the tunnel backend runs.", MetricType::kGauge, {}},
       Family{"rustynetd_packet_filter_restores_total",
              "Packet filter restores after it was found missing or altered.",
              MetricType::kCounter,
              {}},
       Family{"rustynetd_apply_rollbacks_total",
              "Backend applies that failed and were rolled back.",
              MetricType::kCounter,
              {}},
       Family{"rustynetd_peer_last_handshake_age_seconds",
              "Seconds since the latest handshake with the peer (absent before the first).",
              MetricType::kGauge,
              {"peer"}},
       Family{"rustynetd_peer_rx_bytes_total",
              "Bytes received from the peer (backend counters).",
              MetricType::kCounter,
              {"peer"}},
       Family{"rustynetd_peer_tx_bytes_total",
              "Bytes sent to the peer (backend counters).",
              MetricType::kCounter,
              {"peer"}}},
      [snapshot = std::move(snapshot)] { return collect(snapshot()); });
  if (!group.has_value()) {
    return base::unexpected(metrics_fail(group.error()));
  }
  return out;
}

void DaemonMetrics::sync_finished(SyncOutcome outcome, std::chrono::nanoseconds elapsed) noexcept {
  switch (outcome) {
    case SyncOutcome::kOk: sync_ok_->inc(); break;
    case SyncOutcome::kError: sync_error_->inc(); break;
    case SyncOutcome::kInterrupted: sync_interrupted_->inc(); break;
  }
  sync_seconds_->observe(std::chrono::duration<double>(elapsed).count());
}

void DaemonMetrics::applied(bool ok) noexcept { (ok ? apply_ok_ : apply_error_)->inc(); }

}  // namespace rustynet::apps::daemon
