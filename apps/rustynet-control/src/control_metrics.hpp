// SPDX-License-Identifier: Apache-2.0
// ControlMetrics: rustynet-control's Prometheus metrics, fed by the server and the auth chain's events.
#pragma once

#include <atomic>
#include <memory>
#include <string_view>

#include "control_server.hpp"
#include "rustynet/base/metrics.hpp"
#include "rustynet/base/result.hpp"
#include "rustynet/control/security_event.hpp"
#include "service_config.hpp"

namespace rustynet::apps::control_server {

// Sits between the auth chains and the security event log: every event (exactly one per chain
// evaluation, plus transport denials) is counted, then forwarded unchanged to `next`. Also the
// server's observer (responses by route and status class, TLS handshake failures), and reads the
// server's connection counts at scrape time. Thread-safe. Names: docs/observability.md.
class ControlMetrics final : public ServerObserver, public control::EventSink {
 public:
  // `next` must outlive the metrics.
  [[nodiscard]] static base::Result<std::unique_ptr<ControlMetrics>, ConfigError> create(control::EventSink& next);

  // The server whose stats() the connection gauges read; null before start and after stop.
  void attach(const ControlServer* server) noexcept { server_.store(server); }

  void tls_handshake_failed() noexcept override;
  void responded(std::string_view route, unsigned status) noexcept override;
  void emit(const control::SecurityEvent& event) override;

  [[nodiscard]] const base::MetricsRegistry& registry() const noexcept { return registry_; }

  explicit ControlMetrics(control::EventSink& next) : next_(&next) {}

 private:
  control::EventSink* next_;
  std::atomic<const ControlServer*> server_{nullptr};
  base::MetricsRegistry registry_;
  base::CounterFamily* requests_ = nullptr;
  base::CounterFamily* auth_ = nullptr;
  base::CounterFamily* limiter_ = nullptr;
  base::CounterFamily* transport_ = nullptr;
  base::Counter* tls_failures_ = nullptr;
};

}  // namespace rustynet::apps::control_server
