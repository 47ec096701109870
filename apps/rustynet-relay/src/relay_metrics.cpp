// SPDX-License-Identifier: Apache-2.0
// RelayMetrics: registration, and the copy of RelayCounters into the registry's atomics.
#include "relay_metrics.hpp"

#include <cstdint>
#include <utility>
#include <vector>

namespace rustynet::apps::relay_server {

struct RelayMetrics::Series {
  base::Gauge* sessions = nullptr;
  base::Gauge* replay_entries = nullptr;
  // Each counter paired with the RelayCounters field it mirrors.
  std::vector<std::pair<base::Counter*, std::uint64_t relay::RelayCounters::*>> counters;
};

namespace {

using Field = std::uint64_t relay::RelayCounters::*;

struct Plain {
  const char* name;
  const char* help;
  Field field;
};

struct Labelled {
  const char* name;
  const char* help;
  const char* label;
  std::vector<std::pair<const char*, Field>> values;
};

const std::vector<Plain>& plain_counters() {
  static const std::vector<Plain> kPlain{
      {"rustynet_relay_received_datagrams_total", "Datagrams received.", &relay::RelayCounters::rx_datagrams},
      {"rustynet_relay_received_bytes_total", "Bytes received.", &relay::RelayCounters::rx_bytes},
      {"rustynet_relay_forwarded_datagrams_total", "Datagrams forwarded to the other side of a session.",
       &relay::RelayCounters::forwarded_datagrams},
      {"rustynet_relay_forwarded_bytes_total", "Bytes forwarded to the other side of a session.",
       &relay::RelayCounters::forwarded_bytes},
      {"rustynet_relay_ticket_verifications_total", "Ed25519 ticket verifications performed.",
       &relay::RelayCounters::tickets_verified},
      {"rustynet_relay_sessions_created_total", "Sessions created.", &relay::RelayCounters::sessions_created},
      {"rustynet_relay_sides_bound_total", "Session sides bound to an address by a valid ticket.",
       &relay::RelayCounters::sides_bound},
      {"rustynet_relay_sides_rebound_total", "Session sides rebound to a new address (roaming).",
       &relay::RelayCounters::sides_rebound},
      {"rustynet_relay_cookies_sent_total", "Hello cookies sent (pre-authentication).",
       &relay::RelayCounters::cookies_sent},
      {"rustynet_relay_keepalives_total", "Keepalives answered.", &relay::RelayCounters::keepalives},
      {"rustynet_relay_send_errors_total", "Datagrams the kernel refused to send.", &relay::RelayCounters::send_errors},
      {"rustynet_relay_security_events_suppressed_total", "Security events over the per-second budget (not logged).",
       &relay::RelayCounters::events_suppressed},
  };
  return kPlain;
}

const std::vector<Labelled>& labelled_counters() {
  static const std::vector<Labelled> kLabelled{
      {"rustynet_relay_dropped_datagrams_total",
       "Datagrams dropped, by reason.",
       "reason",
       {{"unknown_session", &relay::RelayCounters::dropped_unknown_source},
        {"malformed", &relay::RelayCounters::dropped_malformed},
        {"oversize", &relay::RelayCounters::dropped_oversize},
        {"hello_rate_limited", &relay::RelayCounters::dropped_hello_rate},
        {"session_rate_limited", &relay::RelayCounters::dropped_session_rate},
        {"peer_unbound", &relay::RelayCounters::dropped_peer_unbound}}},
      {"rustynet_relay_tickets_refused_total",
       "Hellos refused, by reason (bad_ticket: invalid after verification; replayed; bad_cookie; busy: verification "
       "budget spent).",
       "reason",
       {{"bad_ticket", &relay::RelayCounters::tickets_rejected},
        {"replayed", &relay::RelayCounters::tickets_replayed},
        {"bad_cookie", &relay::RelayCounters::cookies_invalid},
        {"busy", &relay::RelayCounters::verify_budget_exhausted}}},
      {"rustynet_relay_limit_hits_total",
       "Sessions refused because a limit was reached.",
       "limit",
       {{"max_sessions", &relay::RelayCounters::session_limit_hits},
        {"max_sessions_per_node", &relay::RelayCounters::node_limit_hits},
        {"max_replay_entries", &relay::RelayCounters::replay_store_full}}},
      {"rustynet_relay_sessions_expired_total",
       "Sessions ended, by reason.",
       "reason",
       {{"idle", &relay::RelayCounters::sessions_expired_idle},
        {"lifetime", &relay::RelayCounters::sessions_expired_lifetime}}},
  };
  return kLabelled;
}

}  // namespace

RelayMetrics::RelayMetrics() : series_(std::make_unique<Series>()) {}
RelayMetrics::~RelayMetrics() = default;

base::Result<std::unique_ptr<RelayMetrics>, std::string> RelayMetrics::create() {
  auto out = std::make_unique<RelayMetrics>();
  auto& r = out->registry_;
  auto& s = *out->series_;
  auto sessions = r.gauge("rustynet_relay_sessions", "Active relay sessions.");
  auto replay = r.gauge("rustynet_relay_replay_entries", "Ticket nonces held for replay detection.");
  if (!sessions.has_value() || !replay.has_value()) {
    return base::unexpected(std::string("cannot register relay gauges"));
  }
  s.sessions = *sessions;
  s.replay_entries = *replay;
  for (const auto& plain : plain_counters()) {
    auto counter = r.counter(plain.name, plain.help);
    if (!counter.has_value()) {
      return base::unexpected(counter.error().message);
    }
    s.counters.emplace_back(*counter, plain.field);
  }
  for (const auto& labelled : labelled_counters()) {
    auto family = r.counter_family(labelled.name, labelled.help, {labelled.label});
    if (!family.has_value()) {
      return base::unexpected(family.error().message);
    }
    for (const auto& [value, field] : labelled.values) {
      auto counter = (*family)->with({value});
      if (!counter.has_value()) {
        return base::unexpected(counter.error().message);
      }
      s.counters.emplace_back(*counter, field);
    }
  }
  return out;
}

void RelayMetrics::publish(const relay::RelayServer& server) noexcept {
  const relay::RelayCore& core = server.core();
  const relay::RelayCounters& counters = core.counters();
  series_->sessions->set(static_cast<std::int64_t>(core.session_count()));
  series_->replay_entries->set(static_cast<std::int64_t>(core.replay_entry_count()));
  for (const auto& [counter, field] : series_->counters) {
    counter->mirror(counters.*field);
  }
}

}  // namespace rustynet::apps::relay_server
