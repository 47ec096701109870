// SPDX-License-Identifier: Apache-2.0
// Exponential backoff lockout: 30 s, 60 s, ... capped; forgotten only after success plus cooldown.
#include "rustynet/control/lockout.hpp"

#include <algorithm>
#include <mutex>
#include <optional>

#include "bounded_lru.hpp"
#include "rustynet/control/rate_limiter.hpp"

namespace rustynet::control {
namespace {

struct Entry {
  std::uint32_t failures = 0;
  base::MonotonicTime locked_until{};
  std::optional<base::MonotonicTime> reset_at;  // set by a success; cleared by a failure
};

}  // namespace

struct BackoffLockout::Impl {
  LockoutConfig config;
  std::mutex mutex;
  detail::BoundedLru<Entry> table;

  explicit Impl(const LockoutConfig& config_in) : config(config_in), table(config_in.max_tracked_keys) {}

  // A success followed by a full cooldown without failures wipes the record.
  void apply_reset(std::string_view key, base::MonotonicTime now) {
    Entry* entry = table.find(key);
    if (entry != nullptr && entry->reset_at.has_value() && now >= *entry->reset_at) {
      table.erase(key);
    }
  }

  [[nodiscard]] std::chrono::nanoseconds backoff_for(std::uint32_t failures) const {
    std::chrono::nanoseconds backoff = config.initial_backoff;
    for (std::uint32_t i = 1; i < failures && backoff < config.max_backoff; ++i) {
      backoff *= 2;
    }
    return std::min<std::chrono::nanoseconds>(backoff, config.max_backoff);
  }
};

base::Status<ConfigError> validate(const LockoutConfig& config) {
  if (config.initial_backoff.count() <= 0 || config.max_backoff.count() <= 0 || config.reset_cooldown.count() <= 0) {
    return base::unexpected(ConfigError{"lockout: durations must be positive"});
  }
  if (config.initial_backoff > config.max_backoff) {
    return base::unexpected(ConfigError{"lockout: initial backoff exceeds the cap"});
  }
  if (config.max_tracked_keys == 0) {
    return base::unexpected(ConfigError{"lockout: max_tracked_keys must be positive"});
  }
  return {};
}

base::Result<std::unique_ptr<BackoffLockout>, ConfigError> BackoffLockout::create(const LockoutConfig& config) {
  RUSTYNET_RETURN_IF_ERROR(validate(config));
  return std::make_unique<BackoffLockout>(PrivateTag{}, std::make_unique<Impl>(config));
}

BackoffLockout::BackoffLockout(PrivateTag /*tag*/, std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
BackoffLockout::~BackoffLockout() = default;

base::Result<LockoutDecision, StateError> BackoffLockout::check(std::string_view key, base::MonotonicTime now) {
  if (key.empty() || key.size() > kMaxLimiterKeyLength) {
    return base::unexpected(StateError{"lockout: key empty or too long"});
  }
  const std::lock_guard lock(impl_->mutex);
  impl_->apply_reset(key, now);
  const Entry* entry = impl_->table.find(key);
  if (entry == nullptr) {
    return LockoutDecision{true, std::chrono::milliseconds(0), 0, false};
  }
  const bool failing = entry->failures > 0 && !entry->reset_at.has_value();
  if (now < entry->locked_until) {
    return LockoutDecision{false, std::chrono::ceil<std::chrono::milliseconds>(entry->locked_until - now),
                           entry->failures, failing};
  }
  return LockoutDecision{true, std::chrono::milliseconds(0), entry->failures, failing};
}

base::Status<StateError> BackoffLockout::record_failure(std::string_view key, base::MonotonicTime now) {
  if (key.empty() || key.size() > kMaxLimiterKeyLength) {
    return base::unexpected(StateError{"lockout: key empty or too long"});
  }
  const std::lock_guard lock(impl_->mutex);
  impl_->apply_reset(key, now);
  bool inserted = false;
  Entry& entry = impl_->table.touch(key, inserted);
  if (entry.failures < UINT32_MAX) {
    ++entry.failures;
  }
  entry.reset_at.reset();
  entry.locked_until = now + impl_->backoff_for(entry.failures);
  return {};
}

base::Status<StateError> BackoffLockout::record_success(std::string_view key, base::MonotonicTime now) {
  if (key.empty() || key.size() > kMaxLimiterKeyLength) {
    return base::unexpected(StateError{"lockout: key empty or too long"});
  }
  const std::lock_guard lock(impl_->mutex);
  impl_->apply_reset(key, now);
  Entry* entry = impl_->table.find(key);
  if (entry != nullptr && !entry->reset_at.has_value()) {
    entry->reset_at = now + impl_->config.reset_cooldown;
  }
  return {};
}

std::size_t BackoffLockout::tracked_keys() const {
  const std::lock_guard lock(impl_->mutex);
  return impl_->table.size();
}

}  // namespace rustynet::control
