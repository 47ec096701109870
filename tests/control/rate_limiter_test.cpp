// SPDX-License-Identifier: Apache-2.0
// Token-bucket limiter: exact spec defaults, bursts, refill, retry-after, bounded memory.
#include "rustynet/control/rate_limiter.hpp"

#include <gtest/gtest.h>
#include <malloc.h>

#include <string>

#include "manual_clock.hpp"

namespace rustynet::control {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

std::unique_ptr<TokenBucketLimiter> make(const RateLimitConfig& config) {
  auto limiter = TokenBucketLimiter::create(config);
  EXPECT_TRUE(limiter.has_value());
  return std::move(limiter).value();
}

int allowed_in_a_row(RateLimiter& limiter, std::string_view key, base::MonotonicTime now, int attempts) {
  int allowed = 0;
  for (int i = 0; i < attempts; ++i) {
    if (limiter.acquire(key, now).value().allowed) {
      ++allowed;
    }
  }
  return allowed;
}

TEST(RateLimiterTest, SpecDefaultsExactly) {
  EXPECT_EQ(kPerIpRateLimit.burst, 20U);
  EXPECT_EQ(kPerIpRateLimit.refill_tokens, 10U);
  EXPECT_EQ(kPerIpRateLimit.refill_period, seconds(60));
  EXPECT_EQ(kPerIdentityRateLimit.burst, 10U);
  EXPECT_EQ(kPerIdentityRateLimit.refill_tokens, 5U);
  EXPECT_EQ(kPerIdentityRateLimit.refill_period, seconds(900));
}

TEST(RateLimiterTest, PerIpBurstOfTwentyThenDenied) {
  testing::ManualClock clock;
  auto limiter = make(kPerIpRateLimit);
  EXPECT_EQ(allowed_in_a_row(*limiter, "192.0.2.1", clock.monotonic_now(), 20), 20);
  const auto denied = limiter->acquire("192.0.2.1", clock.monotonic_now()).value();
  EXPECT_FALSE(denied.allowed);
  EXPECT_EQ(denied.retry_after, milliseconds(6000));  // one token per 6 s
  // Other keys are independent.
  EXPECT_TRUE(limiter->acquire("192.0.2.2", clock.monotonic_now()).value().allowed);
}

TEST(RateLimiterTest, PerIpRefillTenPerMinute) {
  testing::ManualClock clock;
  auto limiter = make(kPerIpRateLimit);
  EXPECT_EQ(allowed_in_a_row(*limiter, "ip", clock.monotonic_now(), 25), 20);
  clock.advance(seconds(5));
  EXPECT_FALSE(limiter->acquire("ip", clock.monotonic_now()).value().allowed);
  clock.advance(seconds(1));  // 6 s: exactly one token
  EXPECT_TRUE(limiter->acquire("ip", clock.monotonic_now()).value().allowed);
  EXPECT_FALSE(limiter->acquire("ip", clock.monotonic_now()).value().allowed);
  clock.advance(seconds(60));  // a minute: exactly ten more
  EXPECT_EQ(allowed_in_a_row(*limiter, "ip", clock.monotonic_now(), 30), 10);
  clock.advance(seconds(3600));  // refill never exceeds the burst
  EXPECT_EQ(allowed_in_a_row(*limiter, "ip", clock.monotonic_now(), 30), 20);
}

TEST(RateLimiterTest, PerIdentityBurstTenRefillFivePerFifteenMinutes) {
  testing::ManualClock clock;
  auto limiter = make(kPerIdentityRateLimit);
  EXPECT_EQ(allowed_in_a_row(*limiter, "id:alice", clock.monotonic_now(), 15), 10);
  const auto denied = limiter->acquire("id:alice", clock.monotonic_now()).value();
  EXPECT_EQ(denied.retry_after, milliseconds(180'000));  // 900 s / 5
  clock.advance(seconds(179));
  EXPECT_FALSE(limiter->acquire("id:alice", clock.monotonic_now()).value().allowed);
  clock.advance(seconds(1));
  EXPECT_TRUE(limiter->acquire("id:alice", clock.monotonic_now()).value().allowed);
  clock.advance(seconds(900));
  EXPECT_EQ(allowed_in_a_row(*limiter, "id:alice", clock.monotonic_now(), 10), 5);
}

TEST(RateLimiterTest, RejectsInvalidConfigAndOversizeKeys) {
  EXPECT_FALSE(TokenBucketLimiter::create(RateLimitConfig{0, 10, seconds(60), 10}).has_value());
  EXPECT_FALSE(TokenBucketLimiter::create(RateLimitConfig{20, 0, seconds(60), 10}).has_value());
  EXPECT_FALSE(TokenBucketLimiter::create(RateLimitConfig{20, 10, seconds(0), 10}).has_value());
  EXPECT_FALSE(TokenBucketLimiter::create(RateLimitConfig{20, 10, seconds(60), 0}).has_value());
  testing::ManualClock clock;
  auto limiter = make(kPerIpRateLimit);
  EXPECT_FALSE(limiter->acquire(std::string(kMaxLimiterKeyLength + 1, 'x'), clock.monotonic_now()).value().allowed);
  EXPECT_FALSE(limiter->acquire("", clock.monotonic_now()).value().allowed);
}

// An attacker rotating through 1,000,000 source addresses: the table never grows beyond its cap,
// heap growth stays under the documented per-entry bound, and a legitimate client that keeps
// talking is never evicted and keeps its (unchanged) budget.
TEST(RateLimiterTest, MillionDistinctKeysBoundedMemoryLegitimateClientServed) {
  testing::ManualClock clock;
  RateLimitConfig config = kPerIpRateLimit;
  config.max_tracked_keys = 65'536;
#if !defined(__SANITIZE_ADDRESS__)
  const std::size_t heap_before = mallinfo2().uordblks;
#endif
  auto limiter = make(config);
  const std::string legit = "198.51.100.7";
  // The legitimate client spends its burst, then sends two requests every 6 s: exactly one must
  // pass each time. Were its entry evicted, it would get a fresh burst and both would pass.
  EXPECT_EQ(allowed_in_a_row(*limiter, legit, clock.monotonic_now(), 20), 20);
  int legit_allowed = 0;
  for (int i = 0; i < 1'000'000; ++i) {
    const std::string attacker = "10." + std::to_string((i >> 16) & 0xff) + "." + std::to_string((i >> 8) & 0xff) +
                                 "." + std::to_string(i & 0xff) + "/" + std::to_string(i >> 24);
    (void)limiter->acquire(attacker, clock.monotonic_now());
    if (i % 50'000 == 0) {
      clock.advance(seconds(6));
      legit_allowed += allowed_in_a_row(*limiter, legit, clock.monotonic_now(), 2);
    }
    if (i % 4096 == 0) {
      ASSERT_LE(limiter->tracked_keys(), config.max_tracked_keys);
    }
  }
  EXPECT_EQ(limiter->tracked_keys(), config.max_tracked_keys);
  EXPECT_GE(limiter->evictions(), 1'000'000U - config.max_tracked_keys);
  EXPECT_EQ(legit_allowed, 20);
#if !defined(__SANITIZE_ADDRESS__)
  const std::size_t heap_after = mallinfo2().uordblks;
  const std::size_t cap = config.max_tracked_keys * TokenBucketLimiter::bytes_per_entry_bound();
  EXPECT_LE(heap_after - heap_before, cap) << "heap growth " << (heap_after - heap_before) << " > cap " << cap;
#endif
}

}  // namespace
}  // namespace rustynet::control
