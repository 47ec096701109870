// SPDX-License-Identifier: Apache-2.0
// Token-bucket limiter in GCRA form: one "theoretical arrival time" per key instead of a counter.
#include "rustynet/control/rate_limiter.hpp"

#include <algorithm>
#include <mutex>

#include "bounded_lru.hpp"

namespace rustynet::control {

// GCRA: emission interval T = period / refill_tokens, tolerance tau = (burst - 1) * T. A request
// at `now` is admitted iff max(tat, now) - now <= tau, and then tat = max(tat, now) + T. This is
// exactly a bucket of `burst` tokens refilled by one token every T, kept in one time point.
// A default (epoch) tat means "bucket full", so evicting a full bucket loses nothing.
struct TokenBucketLimiter::Impl {
  std::chrono::nanoseconds interval{};
  std::chrono::nanoseconds tolerance{};
  std::mutex mutex;
  detail::BoundedLru<base::MonotonicTime> table;

  Impl(const RateLimitConfig& config, std::chrono::nanoseconds interval_in)
      : interval(interval_in), tolerance(interval_in * (config.burst - 1)), table(config.max_tracked_keys) {}
};

base::Status<ConfigError> validate(const RateLimitConfig& config) {
  if (config.burst == 0 || config.refill_tokens == 0 || config.refill_period.count() <= 0) {
    return base::unexpected(ConfigError{"rate limit: burst, refill tokens and refill period must be positive"});
  }
  if (config.max_tracked_keys == 0) {
    return base::unexpected(ConfigError{"rate limit: max_tracked_keys must be positive"});
  }
  return {};
}

base::Result<std::unique_ptr<TokenBucketLimiter>, ConfigError> TokenBucketLimiter::create(
    const RateLimitConfig& config) {
  RUSTYNET_RETURN_IF_ERROR(validate(config));
  const auto period = std::chrono::duration_cast<std::chrono::nanoseconds>(config.refill_period);
  const auto interval = period / config.refill_tokens;
  if (interval.count() <= 0) {
    return base::unexpected(ConfigError{"rate limit: refill rate too high"});
  }
  return std::make_unique<TokenBucketLimiter>(PrivateTag{}, std::make_unique<Impl>(config, interval));
}

TokenBucketLimiter::TokenBucketLimiter(PrivateTag /*tag*/, std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TokenBucketLimiter::~TokenBucketLimiter() = default;

base::Result<LimiterDecision, StateError> TokenBucketLimiter::acquire(std::string_view key, base::MonotonicTime now) {
  if (key.empty() || key.size() > kMaxLimiterKeyLength) {
    return LimiterDecision{false, std::chrono::milliseconds(0)};
  }
  const std::lock_guard lock(impl_->mutex);
  bool inserted = false;
  base::MonotonicTime& tat = impl_->table.touch(key, inserted);
  const base::MonotonicTime start = std::max(tat, now);
  const auto ahead = start - now;
  if (ahead > impl_->tolerance) {
    const auto wait = ahead - impl_->tolerance;
    auto retry = std::chrono::ceil<std::chrono::milliseconds>(wait);
    return LimiterDecision{false, retry};
  }
  tat = start + impl_->interval;
  return LimiterDecision{true, std::chrono::milliseconds(0)};
}

std::size_t TokenBucketLimiter::tracked_keys() const {
  const std::lock_guard lock(impl_->mutex);
  return impl_->table.size();
}

std::uint64_t TokenBucketLimiter::evictions() const {
  const std::lock_guard lock(impl_->mutex);
  return impl_->table.evictions();
}

}  // namespace rustynet::control
