// SPDX-License-Identifier: Apache-2.0
// RelayMetrics: rustynet-relay's Prometheus metrics, mirrored from the core's own counters.
#pragma once

#include <memory>
#include <string>

#include "rustynet/base/metrics.hpp"
#include "rustynet/base/result.hpp"
#include "rustynet/relay/relay_server.hpp"

namespace rustynet::apps::relay_server {

// The relay core counts on its one thread (RelayCounters, also in the log's counters line);
// publish() copies those totals into atomics the metrics thread reads, so nothing is counted twice
// and the core stays single-threaded. Names and meanings: docs/observability.md "rustynet-relay".
class RelayMetrics {
 public:
  [[nodiscard]] static base::Result<std::unique_ptr<RelayMetrics>, std::string> create();
  // Call on the relay thread (after each poll): a few dozen relaxed atomic stores.
  void publish(const relay::RelayServer& server) noexcept;
  [[nodiscard]] const base::MetricsRegistry& registry() const noexcept { return registry_; }

  struct Series;  // the registered metrics (relay_metrics.cpp)
  RelayMetrics();
  ~RelayMetrics();
  RelayMetrics(const RelayMetrics&) = delete;
  RelayMetrics& operator=(const RelayMetrics&) = delete;
  RelayMetrics(RelayMetrics&&) = delete;
  RelayMetrics& operator=(RelayMetrics&&) = delete;

 private:
  base::MetricsRegistry registry_;
  std::unique_ptr<Series> series_;
};

}  // namespace rustynet::apps::relay_server
