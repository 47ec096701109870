// SPDX-License-Identifier: Apache-2.0
// Lockout backoff: 30 s doubling to 15 min; reset only after success plus cooldown.
#include "rustynet/control/lockout.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "manual_clock.hpp"

namespace rustynet::control {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

std::unique_ptr<BackoffLockout> make(const LockoutConfig& config = kDefaultLockout) {
  auto lockout = BackoffLockout::create(config);
  EXPECT_TRUE(lockout.has_value());
  return std::move(lockout).value();
}

TEST(LockoutTest, SpecDefaults) {
  EXPECT_EQ(kDefaultLockout.initial_backoff, seconds(30));
  EXPECT_EQ(kDefaultLockout.max_backoff, seconds(900));
}

TEST(LockoutTest, BackoffSequenceDoublesToCap) {
  testing::ManualClock clock;
  auto lockout = make();
  const std::vector<int> expected{30, 60, 120, 240, 480, 900, 900, 900};
  for (const int backoff : expected) {
    ASSERT_TRUE(lockout->check("k", clock.monotonic_now()).value().allowed);
    ASSERT_TRUE(lockout->record_failure("k", clock.monotonic_now()).has_value());
    const auto locked = lockout->check("k", clock.monotonic_now()).value();
    EXPECT_FALSE(locked.allowed);
    EXPECT_EQ(locked.retry_after, milliseconds(seconds(backoff)));
    clock.advance(seconds(backoff - 1));
    EXPECT_FALSE(lockout->check("k", clock.monotonic_now()).value().allowed);
    clock.advance(seconds(1));
  }
}

TEST(LockoutTest, SuccessAloneDoesNotReset) {
  testing::ManualClock clock;
  auto lockout = make();
  ASSERT_TRUE(lockout->record_failure("k", clock.monotonic_now()).has_value());  // 30 s
  clock.advance(seconds(30));
  ASSERT_TRUE(lockout->record_failure("k", clock.monotonic_now()).has_value());  // 60 s
  clock.advance(seconds(60));
  ASSERT_TRUE(lockout->record_success("k", clock.monotonic_now()).has_value());
  clock.advance(seconds(899));  // cooldown not over: a failure keeps escalating
  ASSERT_TRUE(lockout->record_failure("k", clock.monotonic_now()).has_value());
  const auto locked = lockout->check("k", clock.monotonic_now()).value();
  EXPECT_EQ(locked.failures, 3U);
  EXPECT_EQ(locked.retry_after, milliseconds(seconds(120)));
}

TEST(LockoutTest, SuccessPlusCooldownResets) {
  testing::ManualClock clock;
  auto lockout = make();
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(lockout->record_failure("k", clock.monotonic_now()).has_value());
    clock.advance(seconds(900));
  }
  ASSERT_TRUE(lockout->record_success("k", clock.monotonic_now()).has_value());
  clock.advance(seconds(900));  // full cooldown without failures
  const auto clean = lockout->check("k", clock.monotonic_now()).value();
  EXPECT_TRUE(clean.allowed);
  EXPECT_EQ(clean.failures, 0U);
  ASSERT_TRUE(lockout->record_failure("k", clock.monotonic_now()).has_value());
  EXPECT_EQ(lockout->check("k", clock.monotonic_now()).value().retry_after, milliseconds(seconds(30)));
}

TEST(LockoutTest, FailureDuringCooldownCancelsPendingReset) {
  testing::ManualClock clock;
  auto lockout = make();
  ASSERT_TRUE(lockout->record_failure("k", clock.monotonic_now()).has_value());
  clock.advance(seconds(30));
  ASSERT_TRUE(lockout->record_success("k", clock.monotonic_now()).has_value());
  clock.advance(seconds(10));
  ASSERT_TRUE(lockout->record_failure("k", clock.monotonic_now()).has_value());  // 60 s, reset cancelled
  clock.advance(seconds(2000));
  ASSERT_TRUE(lockout->record_failure("k", clock.monotonic_now()).has_value());
  EXPECT_EQ(lockout->check("k", clock.monotonic_now()).value().retry_after, milliseconds(seconds(120)));
}

TEST(LockoutTest, KeysIndependentAndMemoryBounded) {
  testing::ManualClock clock;
  LockoutConfig config;
  config.max_tracked_keys = 1000;
  auto lockout = make(config);
  ASSERT_TRUE(lockout->record_failure("victim", clock.monotonic_now()).has_value());
  EXPECT_TRUE(lockout->check("other", clock.monotonic_now()).value().allowed);
  for (int i = 0; i < 100'000; ++i) {
    ASSERT_TRUE(lockout->record_failure("k" + std::to_string(i), clock.monotonic_now()).has_value());
  }
  EXPECT_EQ(lockout->tracked_keys(), 1000U);
}

TEST(LockoutTest, RejectsInvalidConfig) {
  LockoutConfig config;
  config.initial_backoff = seconds(1000);
  EXPECT_FALSE(BackoffLockout::create(config).has_value());
  config = LockoutConfig{};
  config.max_tracked_keys = 0;
  EXPECT_FALSE(BackoffLockout::create(config).has_value());
}

}  // namespace
}  // namespace rustynet::control
