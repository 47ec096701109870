// SPDX-License-Identifier: Apache-2.0
// Backoff: bounds, growth, cap, jitter and reset.
#include "backoff.hpp"

#include <gtest/gtest.h>

#include <random>

namespace rustynet::apps::daemon {
namespace {

using std::chrono::milliseconds;

TEST(BackoffTest, GrowsExponentiallyWithinJitterBoundsAndCaps) {
  Backoff backoff(milliseconds(500), milliseconds(30'000));
  std::mt19937_64 random(42);
  std::int64_t base = 500;
  for (int attempt = 0; attempt < 20; ++attempt) {
    const auto delay = backoff.next(random()).count();
    EXPECT_GE(delay, base / 2) << attempt;
    EXPECT_LE(delay, base) << attempt;
    base = std::min<std::int64_t>(base * 2, 30'000);
  }
}

TEST(BackoffTest, ExtremesOfTheRandomValue) {
  Backoff low(milliseconds(500), milliseconds(30'000));
  EXPECT_EQ(low.next(0).count(), 250);
  EXPECT_EQ(low.next(0).count(), 500);
  Backoff high(milliseconds(500), milliseconds(30'000));
  EXPECT_EQ(high.next(250).count(), 500);  // 250 % 251 == 250 -> the top of [250, 500]
}

TEST(BackoffTest, NeverExceedsTheCapEvenAfterManyAttempts) {
  Backoff backoff(milliseconds(500), milliseconds(30'000));
  for (int i = 0; i < 1000; ++i) {
    const auto delay = backoff.next(~std::uint64_t{0} - static_cast<std::uint64_t>(i));
    EXPECT_LE(delay.count(), 30'000);
    EXPECT_GE(delay.count(), 250);
  }
}

TEST(BackoffTest, ResetStartsOver) {
  Backoff backoff(milliseconds(500), milliseconds(30'000));
  for (int i = 0; i < 10; ++i) {
    (void)backoff.next(0);
  }
  backoff.reset();
  EXPECT_EQ(backoff.attempt(), 0U);
  EXPECT_LE(backoff.next(123).count(), 500);
}

}  // namespace
}  // namespace rustynet::apps::daemon
