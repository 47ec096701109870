// SPDX-License-Identifier: Apache-2.0
// Test doubles for the control library: fault-injecting stores/limiters and an event recorder.
#pragma once

#include <atomic>
#include <mutex>
#include <string>
#include <vector>

#include "rustynet/control/lockout.hpp"
#include "rustynet/control/nonce_store.hpp"
#include "rustynet/control/rate_limiter.hpp"
#include "rustynet/control/revocation_store.hpp"
#include "rustynet/control/security_event.hpp"

namespace rustynet::testing {

// Wraps a real limiter; while `failing` is set, every call reports unreadable state.
class FaultyLimiter final : public control::RateLimiter {
 public:
  explicit FaultyLimiter(control::RateLimiter& inner) : inner_(&inner) {}
  base::Result<control::LimiterDecision, control::StateError> acquire(std::string_view key,
                                                                      base::MonotonicTime now) override {
    if (failing.load()) {
      return base::unexpected(control::StateError{"injected limiter fault"});
    }
    return inner_->acquire(key, now);
  }
  std::atomic<bool> failing{false};

 private:
  control::RateLimiter* inner_;
};

class FaultyLockout final : public control::Lockout {
 public:
  explicit FaultyLockout(control::Lockout& inner) : inner_(&inner) {}
  base::Result<control::LockoutDecision, control::StateError> check(std::string_view key,
                                                                    base::MonotonicTime now) override {
    if (failing.load()) {
      return base::unexpected(control::StateError{"injected lockout fault"});
    }
    return inner_->check(key, now);
  }
  base::Status<control::StateError> record_failure(std::string_view key, base::MonotonicTime now) override {
    if (failing.load()) {
      return base::unexpected(control::StateError{"injected lockout fault"});
    }
    return inner_->record_failure(key, now);
  }
  base::Status<control::StateError> record_success(std::string_view key, base::MonotonicTime now) override {
    if (failing.load()) {
      return base::unexpected(control::StateError{"injected lockout fault"});
    }
    return inner_->record_success(key, now);
  }
  std::atomic<bool> failing{false};

 private:
  control::Lockout* inner_;
};

class FaultyNonceStore final : public control::NonceStore {
 public:
  explicit FaultyNonceStore(control::NonceStore& inner) : inner_(&inner) {}
  base::Result<control::NonceOutcome, control::StateError> record_once(std::string_view nonce,
                                                                       base::UnixTime retain_until,
                                                                       base::UnixTime now) override {
    if (failing.load()) {
      return base::unexpected(control::StateError{"injected nonce store fault"});
    }
    return inner_->record_once(nonce, retain_until, now);
  }
  std::atomic<bool> failing{false};

 private:
  control::NonceStore* inner_;
};

class FaultyRevocationStore final : public control::RevocationStore {
 public:
  explicit FaultyRevocationStore(control::RevocationStore& inner) : inner_(&inner) {}
  base::Status<control::StateError> revoke_token(std::string_view token_id, base::UnixTime retain_until) override {
    return inner_->revoke_token(token_id, retain_until);
  }
  base::Status<control::StateError> revoke_subject(std::string_view subject) override {
    return inner_->revoke_subject(subject);
  }
  base::Status<control::StateError> unrevoke_subject(std::string_view subject) override {
    return inner_->unrevoke_subject(subject);
  }
  base::Result<bool, control::StateError> is_revoked(std::string_view token_id, std::string_view subject) override {
    if (failing.load()) {
      return base::unexpected(control::StateError{"injected revocation fault"});
    }
    return inner_->is_revoked(token_id, subject);
  }
  std::atomic<bool> failing{false};

 private:
  control::RevocationStore* inner_;
};

// Collects emitted JSON lines (thread-safe).
class EventLog {
 public:
  std::unique_ptr<control::EventSink> make_sink() {
    return control::make_callback_event_sink([this](std::string_view line) {
      const std::lock_guard lock(mutex_);
      lines_.emplace_back(line);
    });
  }
  std::vector<std::string> lines() const {
    const std::lock_guard lock(mutex_);
    return lines_;
  }
  std::size_t size() const {
    const std::lock_guard lock(mutex_);
    return lines_.size();
  }
  void clear() {
    const std::lock_guard lock(mutex_);
    lines_.clear();
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> lines_;
};

}  // namespace rustynet::testing
