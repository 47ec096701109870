// SPDX-License-Identifier: Apache-2.0
// CryptoError kind names and the one-time libsodium initialisation.
#include "rustynet/crypto/crypto_error.hpp"

#include <sodium.h>

#include <ostream>

namespace rustynet::crypto {

std::string_view to_string(CryptoErrorKind kind) noexcept {
  switch (kind) {
    case CryptoErrorKind::kInitFailed: return "init_failed";
    case CryptoErrorKind::kInvalidKey: return "invalid_key";
    case CryptoErrorKind::kDeniedAlgorithm: return "denied_algorithm";
    case CryptoErrorKind::kVerifyFailed: return "verify_failed";
    case CryptoErrorKind::kInvalidEncoding: return "invalid_encoding";
    case CryptoErrorKind::kOutOfMemory: return "out_of_memory";
    case CryptoErrorKind::kInvalidArgument: return "invalid_argument";
    case CryptoErrorKind::kOperationFailed: return "operation_failed";
  }
  return "unknown";
}

std::string CryptoError::describe() const {
  std::string text(to_string(kind));
  if (!message.empty()) {
    text += ": ";
    text += message;
  }
  return text;
}

std::ostream& operator<<(std::ostream& out, const CryptoError& error) { return out << error.describe(); }

base::Status<CryptoError> ensure_sodium() {
  // sodium_init() is itself thread-safe and idempotent (returns 1 when already done); the magic
  // static just avoids taking its lock on every call.
  static const int kInitResult = sodium_init();
  if (kInitResult < 0) {
    return base::unexpected(CryptoError{CryptoErrorKind::kInitFailed, "sodium_init failed"});
  }
  return {};
}

}  // namespace rustynet::crypto
