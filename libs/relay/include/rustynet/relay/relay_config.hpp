// SPDX-License-Identifier: Apache-2.0
// RelayConfig: the relay's strict, versioned JSON configuration.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "rustynet/base/log.hpp"
#include "rustynet/base/metrics_server.hpp"
#include "rustynet/base/result.hpp"
#include "rustynet/crypto/ed25519.hpp"
#include "rustynet/relay/endpoint.hpp"
#include "rustynet/relay/relay_limits.hpp"

namespace rustynet::relay {

inline constexpr std::int64_t kRelayConfigVersion = 1;
inline constexpr std::size_t kMaxRelayConfigBytes = 65'536;

struct RelayConfig {
  std::string relay_id;  // must equal the subject of the tickets control issues for this relay
  RelayEndpoint listen;
  crypto::Ed25519PublicKey control_public_key;  // the only key the relay holds (public)
  RelayLimits limits;                           // every field optional; defaults are safe
  std::uint32_t stats_interval_seconds = 60;    // counters line to the log; 0 disables
  // "metrics": {"listen": "127.0.0.1:9102"}: the Prometheus endpoint; absent: off; loopback only.
  std::optional<base::LoopbackEndpoint> metrics_listen;
  base::LogLevel log_level = base::LogLevel::kInfo;  // "log_level"
  // "crypto_policy_file": the operator's algorithm policy (docs/crypto-policy.md); absent: baseline.
  std::optional<std::string> crypto_policy_file;
};

// Example (docs/relay.md has the full list of limit names):
// {"version": 1, "relay_id": "relay-1", "listen": "0.0.0.0:3478",
//  "control_public_key": "<base64 Ed25519>", "limits": {"max_sessions": 4096}}
// Rejects duplicate keys, unknown keys (at every level), unknown versions, negative or
// out-of-range numbers, invalid key or address, a metrics address that is not loopback, an unknown
// log level, and limits that fail validate().
// Errors: "<json path>: <what>".
[[nodiscard]] base::Result<RelayConfig, std::string> parse_relay_config(std::string_view text);

}  // namespace rustynet::relay
