// SPDX-License-Identifier: Apache-2.0
// ManualClock: a Clock whose time moves only when a test says so (no sleeps in tests).
#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string>

#include "rustynet/base/clock.hpp"

namespace rustynet::testing {

class ManualClock final : public base::Clock {
 public:
  explicit ManualClock(std::int64_t unix_seconds = 1'800'000'000) : wall_seconds_(unix_seconds) {}

  [[nodiscard]] base::MonotonicTime monotonic_now() const override {
    const std::lock_guard lock(mutex_);
    return monotonic_;
  }
  [[nodiscard]] base::Result<base::UnixTime, base::ClockError> wall_now() const override {
    const std::lock_guard lock(mutex_);
    if (!wall_usable_) {
      return base::unexpected(base::ClockError{"wall clock unusable (test)"});
    }
    return base::UnixTime{wall_seconds_};
  }

  // Moves both clocks forward.
  void advance(std::chrono::nanoseconds step) {
    const std::lock_guard lock(mutex_);
    monotonic_ += step;
    wall_seconds_ += std::chrono::duration_cast<std::chrono::seconds>(step).count();
  }
  // Jumps only the wall clock (NTP step, operator change); monotonic time is unaffected.
  void set_wall(std::int64_t unix_seconds) {
    const std::lock_guard lock(mutex_);
    wall_seconds_ = unix_seconds;
  }
  void set_wall_usable(bool usable) {
    const std::lock_guard lock(mutex_);
    wall_usable_ = usable;
  }

 private:
  mutable std::mutex mutex_;
  base::MonotonicTime monotonic_{std::chrono::seconds(1000)};
  std::int64_t wall_seconds_;
  bool wall_usable_ = true;
};

}  // namespace rustynet::testing
