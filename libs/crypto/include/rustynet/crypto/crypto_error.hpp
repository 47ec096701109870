// SPDX-License-Identifier: Apache-2.0
// CryptoError: typed failures of the crypto library (spec section 6, crypto domain).
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>

#include "rustynet/base/result.hpp"

namespace rustynet::crypto {

// Stable kinds; append only, never renumber.
enum class CryptoErrorKind : std::uint8_t {
  kInitFailed = 0,       // libsodium could not initialise
  kInvalidKey = 1,       // malformed key bytes (wrong length, invalid curve point)
  kDeniedAlgorithm = 2,  // the algorithm policy forbids it
  kVerifyFailed = 3,     // a signature or MAC did not verify
  kInvalidEncoding = 4,  // base64/hex text that does not decode exactly
  kOutOfMemory = 5,      // secure (guarded, locked) memory could not be allocated
  kInvalidArgument = 6,  // any other precondition on inputs
  kOperationFailed = 7,  // a primitive reported failure (e.g. X25519 all-zero shared secret)
};

struct CryptoError {
  CryptoErrorKind kind = CryptoErrorKind::kInitFailed;
  std::string message;  // never contains key material

  // "kind: message".
  [[nodiscard]] std::string describe() const;
};

[[nodiscard]] std::string_view to_string(CryptoErrorKind kind) noexcept;

std::ostream& operator<<(std::ostream& out, const CryptoError& error);

// Initialises libsodium exactly once per process (thread-safe; later calls return the cached
// outcome). Every factory in this library calls it, so callers need not, but a daemon should call
// it at startup to fail closed early. Errors: kInitFailed.
[[nodiscard]] base::Status<CryptoError> ensure_sodium();

}  // namespace rustynet::crypto
