// SPDX-License-Identifier: Apache-2.0
// The real clock.
#include "rustynet/base/clock.hpp"

#include <ctime>

namespace rustynet::base {

MonotonicTime SystemClock::monotonic_now() const { return std::chrono::steady_clock::now(); }

Result<UnixTime, ClockError> SystemClock::wall_now() const {
  timespec now{};
  if (::clock_gettime(CLOCK_REALTIME, &now) != 0) {
    return unexpected(ClockError{"clock_gettime(CLOCK_REALTIME) failed"});
  }
  if (now.tv_sec < kEarliestPlausibleUnixSeconds) {
    return unexpected(ClockError{"wall clock is not set (earlier than 2024-01-01); waiting for time sync"});
  }
  return UnixTime{static_cast<std::int64_t>(now.tv_sec)};
}

const Clock& system_clock() {
  static const SystemClock kClock;
  return kClock;
}

}  // namespace rustynet::base
