// SPDX-License-Identifier: Apache-2.0
// Base64 (standard alphabet, padded: the encoding of tunnel keys) and hex, constant-time.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "rustynet/base/result.hpp"
#include "rustynet/base/secret_bytes.hpp"
#include "rustynet/crypto/crypto_error.hpp"

namespace rustynet::crypto {

// All functions run in time independent of the byte values (libsodium sodium_bin2base64,
// sodium_base642bin, sodium_bin2hex, sodium_hex2bin), so they are safe for secret keys.
// Decoding is strict: the whole input must be consumed, no whitespace, padding required,
// non-canonical trailing bits rejected. Errors: kInvalidEncoding (the message never echoes input).

[[nodiscard]] std::string base64_encode(std::span<const std::uint8_t> bytes);
[[nodiscard]] base::Result<std::vector<std::uint8_t>, CryptoError> base64_decode(std::string_view text);
// Decodes straight into zeroising storage, for secrets.
[[nodiscard]] base::Result<base::SecretBytes, CryptoError> base64_decode_secret(std::string_view text);

// Lowercase hex.
[[nodiscard]] std::string hex_encode(std::span<const std::uint8_t> bytes);
// Accepts upper- and lowercase; odd length is rejected.
[[nodiscard]] base::Result<std::vector<std::uint8_t>, CryptoError> hex_decode(std::string_view text);
[[nodiscard]] base::Result<base::SecretBytes, CryptoError> hex_decode_secret(std::string_view text);

}  // namespace rustynet::crypto
