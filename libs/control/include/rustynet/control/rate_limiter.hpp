// SPDX-License-Identifier: Apache-2.0
// RateLimiter: token-bucket admission per key (source IP or identity handle), bounded memory.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "rustynet/base/clock.hpp"
#include "rustynet/base/result.hpp"
#include "rustynet/control/control_error.hpp"

namespace rustynet::control {

struct RateLimitConfig {
  std::uint32_t burst = 20;                // bucket size: requests allowed back to back
  std::uint32_t refill_tokens = 10;        // tokens added per refill_period (spread evenly)
  std::chrono::seconds refill_period{60};  // e.g. 10 tokens per 60 s = one token every 6 s
  std::size_t max_tracked_keys = 65'536;   // memory cap; see TokenBucketLimiter
};

// Spec 5.3 defaults, exactly: per-IP burst 20 refill 10/min; per-identity burst 10 refill 5/15 min.
inline constexpr RateLimitConfig kPerIpRateLimit{20, 10, std::chrono::seconds(60), 65'536};
inline constexpr RateLimitConfig kPerIdentityRateLimit{10, 5, std::chrono::seconds(900), 65'536};

// Longest key a limiter accepts: a prefix, a source key (IPv6 text is 45, a /64 48) and a 128-byte
// identity handle (the chain's source+identity keys).
inline constexpr std::size_t kMaxLimiterKeyLength = 192;

// Errors: burst, refill_tokens or refill_period zero; max_tracked_keys zero.
[[nodiscard]] base::Status<ConfigError> validate(const RateLimitConfig& config);

struct LimiterDecision {
  bool allowed = false;
  // When denied: how long until one more request would be allowed (for Retry-After).
  std::chrono::milliseconds retry_after{0};
};

// One admission decision per call. Implementations must be thread-safe.
class RateLimiter {
 public:
  virtual ~RateLimiter() = default;
  // Takes one token for `key` at monotonic time `now`. An error means the limiter state could not
  // be read or updated: the caller must deny the request.
  [[nodiscard]] virtual base::Result<LimiterDecision, StateError> acquire(std::string_view key,
                                                                          base::MonotonicTime now) = 0;
};

// In-memory token bucket (GCRA form: one deadline per key). Memory is bounded: at most
// max_tracked_keys entries, each at most bytes_per_entry_bound(); when full, the key seen least
// recently is forgotten. A forgotten key only regains a fresh burst, which costs an attacker
// max_tracked_keys distinct keys per reset; recently active clients are never the ones evicted.
// Keys longer than kMaxLimiterKeyLength are denied. Thread-safe (one mutex).
class TokenBucketLimiter final : public RateLimiter {
 public:
  [[nodiscard]] static base::Result<std::unique_ptr<TokenBucketLimiter>, ConfigError> create(
      const RateLimitConfig& config);
  ~TokenBucketLimiter() override;
  TokenBucketLimiter(const TokenBucketLimiter&) = delete;
  TokenBucketLimiter& operator=(const TokenBucketLimiter&) = delete;
  TokenBucketLimiter(TokenBucketLimiter&&) = delete;
  TokenBucketLimiter& operator=(TokenBucketLimiter&&) = delete;

  [[nodiscard]] base::Result<LimiterDecision, StateError> acquire(std::string_view key,
                                                                  base::MonotonicTime now) override;

  [[nodiscard]] std::size_t tracked_keys() const;
  [[nodiscard]] std::uint64_t evictions() const;
  // Upper bound of heap bytes one tracked key costs (node, key, index, bucket slot).
  [[nodiscard]] static constexpr std::size_t bytes_per_entry_bound() { return 384; }

 private:
  struct Impl;
  struct PrivateTag {
    explicit PrivateTag() = default;
  };

 public:
  // Use create(); public only so that std::make_unique can reach it.
  TokenBucketLimiter(PrivateTag tag, std::unique_ptr<Impl> impl);

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace rustynet::control
