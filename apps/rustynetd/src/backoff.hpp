// SPDX-License-Identifier: Apache-2.0
// Backoff: jittered exponential retry delays for an unreachable control plane.
#pragma once

#include <chrono>
#include <cstdint>

namespace rustynet::apps::daemon {

// Delay n (0-based) is uniformly drawn from [base_n / 2, base_n], base_n = min(initial * 2^n,
// maximum): exponential growth so a down control is not hammered, jitter so a fleet of
// daemons restarted together does not reconnect in lockstep. reset() after a success.
class Backoff {
 public:
  Backoff(std::chrono::milliseconds initial = std::chrono::milliseconds(500),
          std::chrono::milliseconds maximum = std::chrono::seconds(30));

  // `random` is any 64-bit random value (the caller's generator; tests pass fixed values).
  [[nodiscard]] std::chrono::milliseconds next(std::uint64_t random);
  void reset() noexcept { attempt_ = 0; }
  [[nodiscard]] std::uint32_t attempt() const noexcept { return attempt_; }

 private:
  std::chrono::milliseconds initial_;
  std::chrono::milliseconds maximum_;
  std::uint32_t attempt_ = 0;
};

}  // namespace rustynet::apps::daemon
