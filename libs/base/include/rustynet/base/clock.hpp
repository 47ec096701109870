// SPDX-License-Identifier: Apache-2.0
// Clock: the only way project code reads time, so that every time-dependent decision is testable.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "rustynet/base/result.hpp"

namespace rustynet::base {

using MonotonicTime = std::chrono::steady_clock::time_point;

// Seconds since the Unix epoch, UTC. Signed 64-bit: no 2038 problem, negative values are invalid.
struct UnixTime {
  std::int64_t seconds = 0;
  // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 false positive on a defaulted <=>
  friend auto operator<=>(const UnixTime&, const UnixTime&) = default;
};

struct ClockError {
  std::string reason;
};

// Wall time earlier than this is treated as "clock not set" (a Raspberry Pi has no RTC and boots at
// 1970 until NTP syncs). 2024-01-01T00:00:00Z.
inline constexpr std::int64_t kEarliestPlausibleUnixSeconds = 1704067200;

// Injected everywhere time matters. Implementations must be thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  // For durations, timeouts, rate limits: never jumps backwards.
  [[nodiscard]] virtual MonotonicTime monotonic_now() const = 0;
  // For token/artifact validity. Fails when the wall clock is unusable; callers must then deny
  // (fail closed), never substitute zero.
  [[nodiscard]] virtual Result<UnixTime, ClockError> wall_now() const = 0;
};

// The real clocks (CLOCK_MONOTONIC, CLOCK_REALTIME).
class SystemClock final : public Clock {
 public:
  [[nodiscard]] MonotonicTime monotonic_now() const override;
  [[nodiscard]] Result<UnixTime, ClockError> wall_now() const override;
};

// Process-wide real clock instance.
[[nodiscard]] const Clock& system_clock();

}  // namespace rustynet::base
