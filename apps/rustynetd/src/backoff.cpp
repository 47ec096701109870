// SPDX-License-Identifier: Apache-2.0
// Backoff implementation.
#include "backoff.hpp"

#include <algorithm>

namespace rustynet::apps::daemon {

Backoff::Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds maximum)
    : initial_(std::max(initial, std::chrono::milliseconds(1))), maximum_(std::max(maximum, initial_)) {}

std::chrono::milliseconds Backoff::next(std::uint64_t random) {
  std::int64_t base = initial_.count();
  for (std::uint32_t i = 0; i < attempt_ && base < maximum_.count(); ++i) {
    base *= 2;
  }
  base = std::min(base, maximum_.count());
  if (attempt_ < 64) {
    ++attempt_;
  }
  const std::int64_t low = base / 2;
  const auto span = static_cast<std::uint64_t>(base - low + 1);
  return std::chrono::milliseconds(low + static_cast<std::int64_t>(random % span));
}

}  // namespace rustynet::apps::daemon
