// SPDX-License-Identifier: Apache-2.0
// RevocationStore: tokens revoked by token id or by subject (identity handle).
#pragma once

#include <memory>
#include <string_view>

#include "rustynet/base/clock.hpp"
#include "rustynet/base/result.hpp"
#include "rustynet/control/control_error.hpp"

namespace rustynet::control {

// Implementations must be thread-safe and durable where they claim to be. An error means the
// state is unknown: the caller must deny (treat as revoked).
class RevocationStore {
 public:
  virtual ~RevocationStore() = default;
  // Revokes one token. The entry may be dropped once `retain_until` has passed (the token is then
  // rejected as expired anyway); pass the token's expires-at plus the clock-skew tolerance.
  [[nodiscard]] virtual base::Status<StateError> revoke_token(std::string_view token_id,
                                                              base::UnixTime retain_until) = 0;
  // Revokes every token of `subject`, now and in the future, until unrevoke_subject().
  [[nodiscard]] virtual base::Status<StateError> revoke_subject(std::string_view subject) = 0;
  [[nodiscard]] virtual base::Status<StateError> unrevoke_subject(std::string_view subject) = 0;
  [[nodiscard]] virtual base::Result<bool, StateError> is_revoked(std::string_view token_id,
                                                                  std::string_view subject) = 0;
};

// Non-durable store for tests and benchmarks.
class MemoryRevocationStore final : public RevocationStore {
 public:
  MemoryRevocationStore();
  ~MemoryRevocationStore() override;
  MemoryRevocationStore(const MemoryRevocationStore&) = delete;
  MemoryRevocationStore& operator=(const MemoryRevocationStore&) = delete;
  MemoryRevocationStore(MemoryRevocationStore&&) = delete;
  MemoryRevocationStore& operator=(MemoryRevocationStore&&) = delete;

  [[nodiscard]] base::Status<StateError> revoke_token(std::string_view token_id, base::UnixTime retain_until) override;
  [[nodiscard]] base::Status<StateError> revoke_subject(std::string_view subject) override;
  [[nodiscard]] base::Status<StateError> unrevoke_subject(std::string_view subject) override;
  [[nodiscard]] base::Result<bool, StateError> is_revoked(std::string_view token_id, std::string_view subject) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace rustynet::control
