// SPDX-License-Identifier: Apache-2.0
// Control-plane access tokens: short-lived, Ed25519-signed, single-use (docs/token-model.md).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "rustynet/base/clock.hpp"
#include "rustynet/base/result.hpp"
#include "rustynet/crypto/ed25519.hpp"

namespace rustynet::control {

inline constexpr std::int64_t kTokenVersion = 1;
inline constexpr std::chrono::seconds kDefaultTokenLifetime{300};  // spec 5.3: 5 minutes
inline constexpr std::chrono::seconds kClockSkewTolerance{90};     // spec 5.3: +/- 90 s exactly
inline constexpr std::size_t kMaxTokenLength = 2048;               // wire form, bytes
inline constexpr std::size_t kMaxClaimLength = 128;                // each string claim, bytes
// Signatures cover this prefix followed by the payload bytes (domain separation).
inline constexpr std::string_view kTokenSignatureContext = "rustynet-control-token-v1";

struct TokenClaims {
  std::int64_t version = kTokenVersion;
  std::string key_id;    // "kid": key_id() of the signing key
  std::string token_id;  // "jti": unique per token; revocable
  std::string subject;   // "sub": identity handle
  std::string audience;  // "aud": the service the token is for
  base::UnixTime issued_at;
  base::UnixTime expires_at;
  std::string nonce;  // single use: recorded on first acceptance
};

// Distinct, stable rejection kinds, in validation order (docs/token-model.md). Append only.
enum class TokenRejection : std::uint8_t {
  kMalformed = 0,          // not <base64 payload>.<base64 signature>, bad JSON, missing/unknown/oversize field
  kUnknownVersion = 1,     // version field is not one this build understands
  kBadSignature = 2,       // unknown signing key or signature does not verify
  kClockUnavailable = 3,   // wall clock unusable: fail closed
  kInvalidLifetime = 4,    // expires-at not after issued-at, or lifetime above the maximum
  kNotYetValid = 5,        // issued-at more than the skew tolerance in the future
  kExpired = 6,            // expires-at more than the skew tolerance in the past
  kWrongAudience = 7,      // audience is not this service
  kRevoked = 8,            // token id or subject revoked
  kReplayedNonce = 9,      // nonce already used
  kNonceStoreFull = 10,    // anti-replay store at capacity: deny rather than evict
  kStateUnavailable = 11,  // revocation or nonce state could not be read/written: deny
};

[[nodiscard]] std::string_view to_string(TokenRejection rejection) noexcept;

struct TokenError {
  TokenRejection kind = TokenRejection::kMalformed;
  std::string message;  // never contains the token or any part of it
};

// Serialises `claims` and signs them: "<base64 payload>.<base64 signature>" (standard padded
// base64). Errors: kMalformed if a claim is empty or longer than kMaxClaimLength, or key_id does
// not match the key.
[[nodiscard]] base::Result<std::string, TokenError> encode_token(const TokenClaims& claims,
                                                                 const crypto::Ed25519SigningKey& key);

// Parses the claims WITHOUT verifying the signature or any time/audience rule. Only for keying
// rate limits and lockouts by the claimed identity; never for an authorisation decision.
// Errors: kMalformed, kUnknownVersion.
[[nodiscard]] base::Result<TokenClaims, TokenError> peek_claims(std::string_view token);

}  // namespace rustynet::control
