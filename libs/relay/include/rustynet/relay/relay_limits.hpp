// SPDX-License-Identifier: Apache-2.0
// RelayLimits: abuse-control limits of the ciphertext relay, with safe defaults.
#pragma once

#include <cstdint>
#include <string>

#include "rustynet/base/result.hpp"

namespace rustynet::relay {

struct RelayLimits {
  std::uint32_t max_sessions = 4096;
  std::uint32_t max_sessions_per_node = 16;
  std::uint32_t session_idle_timeout_seconds = 180;
  std::uint64_t per_session_bytes_per_second = 125'000'000;  // 1 Gbit/s
  std::uint32_t per_source_packets_per_second = 200'000;
};

struct RelayLimitsError {
  std::string message;
};

// Rejects zero or inconsistent limits: an unlimited relay is never a valid configuration.
[[nodiscard]] base::Status<RelayLimitsError> validate(const RelayLimits& limits);

}  // namespace rustynet::relay
