// SPDX-License-Identifier: Apache-2.0
// NonceStore: remembers used nonces until their tokens can no longer be accepted (anti-replay).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "rustynet/base/clock.hpp"
#include "rustynet/base/result.hpp"
#include "rustynet/control/control_error.hpp"

namespace rustynet::control {

enum class NonceOutcome : std::uint8_t {
  kFresh,     // first use: recorded
  kReplayed,  // already recorded and still retained: the request is a replay
  kFull,      // capacity reached with unexpired nonces only: deny (nothing unexpired is evicted)
};

// Implementations must be thread-safe. An error means the store could not be read or written:
// the caller must deny.
class NonceStore {
 public:
  virtual ~NonceStore() = default;
  // Atomically checks and records `nonce`, retained while now <= retain_until. Entries whose
  // retain_until has passed may be dropped to make room; unexpired ones never are.
  [[nodiscard]] virtual base::Result<NonceOutcome, StateError> record_once(std::string_view nonce,
                                                                           base::UnixTime retain_until,
                                                                           base::UnixTime now) = 0;
};

// Bounded in-memory store (for tests, benchmarks and single-process deployments that accept
// rejecting tokens across restarts; the server uses the SQLite store).
class MemoryNonceStore final : public NonceStore {
 public:
  explicit MemoryNonceStore(std::size_t capacity);
  ~MemoryNonceStore() override;
  MemoryNonceStore(const MemoryNonceStore&) = delete;
  MemoryNonceStore& operator=(const MemoryNonceStore&) = delete;
  MemoryNonceStore(MemoryNonceStore&&) = delete;
  MemoryNonceStore& operator=(MemoryNonceStore&&) = delete;

  [[nodiscard]] base::Result<NonceOutcome, StateError> record_once(std::string_view nonce, base::UnixTime retain_until,
                                                                   base::UnixTime now) override;
  [[nodiscard]] std::size_t size() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace rustynet::control
