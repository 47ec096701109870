// SPDX-License-Identifier: Apache-2.0
// CryptoError kind names.
#include "rustynet/crypto/crypto_error.hpp"

namespace rustynet::crypto {

std::string_view to_string(CryptoErrorKind kind) noexcept {
  switch (kind) {
    case CryptoErrorKind::kInitFailed: return "init_failed";
    case CryptoErrorKind::kInvalidKey: return "invalid_key";
    case CryptoErrorKind::kDeniedAlgorithm: return "denied_algorithm";
    case CryptoErrorKind::kVerifyFailed: return "verify_failed";
  }
  return "unknown";
}

}  // namespace rustynet::crypto
