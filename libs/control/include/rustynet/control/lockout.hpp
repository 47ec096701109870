// SPDX-License-Identifier: Apache-2.0
// Lockout: exponential backoff after failed authentication, per key, bounded memory.
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

struct LockoutConfig {
  std::chrono::seconds initial_backoff{30};  // lockout after the first failure
  std::chrono::seconds max_backoff{900};     // doubling stops at 15 minutes
  // A success does not reset the failure count at once: the count is forgotten only when no
  // failure follows the success for this long (spec 5.3 "reset only after success + cooldown").
  std::chrono::seconds reset_cooldown{900};
  std::size_t max_tracked_keys = 65'536;
};

// Spec 5.3 defaults: 30 s doubling to a 15 min cap; cooldown 15 min (our choice, docs/threat-model.md).
inline constexpr LockoutConfig kDefaultLockout{};

// Errors: zero durations, initial > max, zero capacity.
[[nodiscard]] base::Status<ConfigError> validate(const LockoutConfig& config);

struct LockoutDecision {
  bool allowed = false;
  std::chrono::milliseconds retry_after{0};  // when locked: time until the lock ends
  std::uint32_t failures = 0;                // consecutive failures on record
  // Failures on record and no success since the last one: the key is failing to authenticate
  // right now (the chain then also charges the spec's authentication-attempt budget).
  bool failing = false;
};

// Implementations must be thread-safe. Every error means state could not be read or updated: the
// caller must deny.
class Lockout {
 public:
  virtual ~Lockout() = default;
  [[nodiscard]] virtual base::Result<LockoutDecision, StateError> check(std::string_view key,
                                                                        base::MonotonicTime now) = 0;
  // The n-th consecutive failure locks `key` for min(initial * 2^(n-1), max).
  [[nodiscard]] virtual base::Status<StateError> record_failure(std::string_view key, base::MonotonicTime now) = 0;
  // Starts the reset cooldown; a failure before it ends keeps escalating.
  [[nodiscard]] virtual base::Status<StateError> record_success(std::string_view key, base::MonotonicTime now) = 0;
};

// In-memory backoff table: at most max_tracked_keys entries, least recently seen forgotten first.
class BackoffLockout final : public Lockout {
 public:
  [[nodiscard]] static base::Result<std::unique_ptr<BackoffLockout>, ConfigError> create(const LockoutConfig& config);
  ~BackoffLockout() override;
  BackoffLockout(const BackoffLockout&) = delete;
  BackoffLockout& operator=(const BackoffLockout&) = delete;
  BackoffLockout(BackoffLockout&&) = delete;
  BackoffLockout& operator=(BackoffLockout&&) = delete;

  [[nodiscard]] base::Result<LockoutDecision, StateError> check(std::string_view key, base::MonotonicTime now) override;
  [[nodiscard]] base::Status<StateError> record_failure(std::string_view key, base::MonotonicTime now) override;
  [[nodiscard]] base::Status<StateError> record_success(std::string_view key, base::MonotonicTime now) override;

  [[nodiscard]] std::size_t tracked_keys() const;

 private:
  struct Impl;
  struct PrivateTag {
    explicit PrivateTag() = default;
  };

 public:
  // Use create(); public only so that std::make_unique can reach it.
  BackoffLockout(PrivateTag tag, std::unique_ptr<Impl> impl);

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace rustynet::control
