// SPDX-License-Identifier: Apache-2.0
// Internal token parsing shared by peek_claims() and TokenValidator.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "rustynet/control/token.hpp"

namespace rustynet::control::detail {

struct ParsedToken {
  std::vector<std::uint8_t> payload;  // the exact signed bytes
  std::vector<std::uint8_t> signature;
  TokenClaims claims;
};

// Structure, base64, strict JSON, version, field presence/size. Errors: kMalformed, kUnknownVersion.
[[nodiscard]] base::Result<ParsedToken, TokenError> parse_token(std::string_view token);

// kTokenSignatureContext || 0x00 || payload.
[[nodiscard]] std::vector<std::uint8_t> signed_message(std::span<const std::uint8_t> payload);

}  // namespace rustynet::control::detail
