// SPDX-License-Identifier: Apache-2.0
// RelayLimits: abuse-control limits of the ciphertext relay, with safe defaults.
#pragma once

#include <cstdint>
#include <string>

#include "rustynet/base/result.hpp"

namespace rustynet::relay {

// Every limit is finite; zero is never "unlimited". Memory is bounded by max_sessions,
// max_replay_entries and the fixed-size pre-authentication tables, whatever the traffic.
struct RelayLimits {
  std::uint32_t max_sessions = 4096;
  std::uint32_t max_sessions_per_node = 16;
  std::uint32_t session_idle_timeout_seconds = 180;
  std::uint32_t max_session_lifetime_seconds = 86'400;
  // Per bound side (one node's address in one session), both with a one-second burst.
  std::uint64_t per_session_bytes_per_second = 125'000'000;  // 1 Gbit/s
  std::uint32_t per_source_packets_per_second = 200'000;
  // Pre-authentication: hellos per source IP per second (burst twice that) and the global budget of
  // Ed25519 ticket verifications per second, spent only after a valid return-routability cookie.
  std::uint32_t hello_per_source_per_second = 10;
  std::uint32_t ticket_verifications_per_second = 2'000;
  std::uint32_t max_replay_entries = 65'536;
  // Receive buffer per datagram; larger datagrams are dropped and counted (never forwarded cut).
  std::uint32_t max_datagram_bytes = 2'048;
  // Security events written per second, twice: once for pre-authentication events (hello rate,
  // invalid cookie) and once for all others, so cheap noise cannot crowd the ticket decisions out.
  // The rest are counted as suppressed.
  std::uint32_t security_events_per_second = 100;
};

struct RelayLimitsError {
  std::string message;
};

// Rejects zero or inconsistent limits: an unlimited relay is never a valid configuration.
[[nodiscard]] base::Status<RelayLimitsError> validate(const RelayLimits& limits);

}  // namespace rustynet::relay
