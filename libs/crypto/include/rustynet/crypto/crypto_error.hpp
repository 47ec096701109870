// SPDX-License-Identifier: Apache-2.0
// CryptoError: typed failures of the crypto library (spec section 6, crypto domain).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace rustynet::crypto {

enum class CryptoErrorKind : std::uint8_t {
  kInitFailed,       // libsodium could not initialise
  kInvalidKey,       // malformed key bytes or encoding
  kDeniedAlgorithm,  // the algorithm policy forbids it
  kVerifyFailed,     // a signature or MAC did not verify
};

struct CryptoError {
  CryptoErrorKind kind = CryptoErrorKind::kInitFailed;
  std::string message;  // never contains key material
};

[[nodiscard]] std::string_view to_string(CryptoErrorKind kind) noexcept;

}  // namespace rustynet::crypto
