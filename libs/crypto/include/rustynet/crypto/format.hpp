// SPDX-License-Identifier: Apache-2.0
// fmt (and so spdlog) formatters for crypto types: secrets always format as "<redacted>".
#pragma once

#include <fmt/format.h>

#include <sstream>
#include <string>
#include <string_view>

#include "rustynet/crypto/crypto_error.hpp"
#include "rustynet/crypto/ed25519.hpp"
#include "rustynet/crypto/secure_buffer.hpp"
#include "rustynet/crypto/x25519.hpp"

namespace rustynet::crypto::detail {

// Formats through the type's operator<<, which is the single place each type decides what it
// shows; the formatters below never touch key bytes themselves.
template <class T>
std::string display_string(const T& value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

}  // namespace rustynet::crypto::detail

// Declares fmt::formatter<TYPE> in terms of operator<<. Format specs apply to the redacted text.
#define RUSTYNET_CRYPTO_FORMATTER(TYPE)                                               \
  template <>                                                                         \
  struct fmt::formatter<TYPE> : fmt::formatter<std::string_view> {                    \
    template <class FormatContext>                                                    \
    auto format(const TYPE& value, FormatContext& ctx) const -> decltype(ctx.out()) { \
      const std::string text = ::rustynet::crypto::detail::display_string(value);     \
      return fmt::formatter<std::string_view>::format(text, ctx);                     \
    }                                                                                 \
  }

RUSTYNET_CRYPTO_FORMATTER(rustynet::crypto::SecureBuffer);
RUSTYNET_CRYPTO_FORMATTER(rustynet::crypto::SecretKey);
RUSTYNET_CRYPTO_FORMATTER(rustynet::crypto::NodeKeyPair);
RUSTYNET_CRYPTO_FORMATTER(rustynet::crypto::PublicKey);
RUSTYNET_CRYPTO_FORMATTER(rustynet::crypto::Ed25519PublicKey);
RUSTYNET_CRYPTO_FORMATTER(rustynet::crypto::Ed25519SigningKey);
RUSTYNET_CRYPTO_FORMATTER(rustynet::crypto::CryptoError);
