// SPDX-License-Identifier: Apache-2.0
// Relay limit validation.
#include "rustynet/relay/relay_limits.hpp"

namespace rustynet::relay {

base::Status<RelayLimitsError> validate(const RelayLimits& limits) {
  if (limits.max_sessions == 0 || limits.max_sessions_per_node == 0 || limits.session_idle_timeout_seconds == 0 ||
      limits.per_session_bytes_per_second == 0 || limits.per_source_packets_per_second == 0) {
    return base::unexpected(RelayLimitsError{"relay limits must all be non-zero"});
  }
  if (limits.max_sessions_per_node > limits.max_sessions) {
    return base::unexpected(RelayLimitsError{"max_sessions_per_node exceeds max_sessions"});
  }
  return {};
}

}  // namespace rustynet::relay
