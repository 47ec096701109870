// SPDX-License-Identifier: Apache-2.0
// Relay limit validation.
#include "rustynet/relay/relay_limits.hpp"

namespace rustynet::relay {

base::Status<RelayLimitsError> validate(const RelayLimits& limits) {
  if (limits.max_sessions == 0 || limits.max_sessions_per_node == 0 || limits.session_idle_timeout_seconds == 0 ||
      limits.max_session_lifetime_seconds == 0 || limits.per_session_bytes_per_second == 0 ||
      limits.per_source_packets_per_second == 0 || limits.hello_per_source_per_second == 0 ||
      limits.ticket_verifications_per_second == 0 || limits.max_replay_entries == 0 || limits.max_datagram_bytes == 0 ||
      limits.security_events_per_second == 0) {
    return base::unexpected(RelayLimitsError{"relay limits must all be non-zero"});
  }
  if (limits.max_sessions_per_node > limits.max_sessions) {
    return base::unexpected(RelayLimitsError{"max_sessions_per_node exceeds max_sessions"});
  }
  if (limits.max_sessions > 1'000'000 || limits.max_replay_entries > 4'000'000) {
    return base::unexpected(RelayLimitsError{"max_sessions or max_replay_entries above the supported bound"});
  }
  if (limits.max_datagram_bytes < 512 || limits.max_datagram_bytes > 65'535) {
    return base::unexpected(RelayLimitsError{"max_datagram_bytes must be within 512..65535"});
  }
  if (limits.session_idle_timeout_seconds > limits.max_session_lifetime_seconds) {
    return base::unexpected(RelayLimitsError{"session_idle_timeout_seconds exceeds max_session_lifetime_seconds"});
  }
  return {};
}

}  // namespace rustynet::relay
