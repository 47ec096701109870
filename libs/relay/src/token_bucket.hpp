// SPDX-License-Identifier: Apache-2.0
// TokenBucket: refill-on-use rate limiter over the monotonic clock (no timers, no allocation).
#pragma once

#include <algorithm>
#include <chrono>

#include "rustynet/base/clock.hpp"

namespace rustynet::relay::detail {

class TokenBucket {
 public:
  TokenBucket() = default;
  TokenBucket(double rate_per_second, double burst, base::MonotonicTime now)
      : rate_(rate_per_second), burst_(burst), tokens_(burst), last_(now) {}

  // Takes `cost` tokens if available. Time going backwards (cannot happen with a monotonic clock)
  // refills nothing.
  [[nodiscard]] bool take(double cost, base::MonotonicTime now) noexcept {
    if (now > last_) {
      const double elapsed = std::chrono::duration<double>(now - last_).count();
      tokens_ = std::min(burst_, tokens_ + elapsed * rate_);
      last_ = now;
    }
    if (tokens_ < cost) {
      return false;
    }
    tokens_ -= cost;
    return true;
  }

 private:
  double rate_ = 0;
  double burst_ = 0;
  double tokens_ = 0;
  base::MonotonicTime last_{};
};

}  // namespace rustynet::relay::detail
