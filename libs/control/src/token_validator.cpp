// SPDX-License-Identifier: Apache-2.0
// Token validation in the documented order, and token issuance.
#include "rustynet/control/token_validator.hpp"

#include <openssl/rand.h>

#include <array>
#include <cstdio>
#include <cstdlib>

#include "rustynet/crypto/encoding.hpp"
#include "token_internal.hpp"

namespace rustynet::control {
namespace {

TokenError reject(TokenRejection kind, std::string message) { return TokenError{kind, std::move(message)}; }

}  // namespace

base::Result<std::optional<crypto::Ed25519PublicKey>, StateError> StaticKeyResolver::resolve(
    std::string_view key_id, std::string_view /*subject*/) const {
  for (const auto& key : keys_) {
    if (key.key_id() == key_id) {
      return std::optional<crypto::Ed25519PublicKey>(key);
    }
  }
  return std::optional<crypto::Ed25519PublicKey>();
}

TokenValidator::TokenValidator(TokenValidatorConfig config, std::vector<crypto::Ed25519PublicKey> trusted_keys,
                               const base::Clock& clock, RevocationStore& revocations, NonceStore& nonces)
    : config_(std::move(config)),
      owned_resolver_(std::make_shared<const StaticKeyResolver>(std::move(trusted_keys))),
      resolver_(owned_resolver_.get()),
      clock_(&clock),
      revocations_(&revocations),
      nonces_(&nonces) {}

TokenValidator::TokenValidator(TokenValidatorConfig config, const TokenKeyResolver& resolver, const base::Clock& clock,
                               RevocationStore& revocations, NonceStore& nonces)
    : config_(std::move(config)), resolver_(&resolver), clock_(&clock), revocations_(&revocations), nonces_(&nonces) {}

base::Result<TokenClaims, TokenError> TokenValidator::verify_signer(std::string_view token) const {
  // 1-2: structure and version.
  RUSTYNET_ASSIGN_OR_RETURN(detail::ParsedToken parsed, detail::parse_token(token));
  // 3: signature by the key the resolver names for (kid, sub), over the exact payload bytes.
  auto signer = resolver_->resolve(parsed.claims.key_id, parsed.claims.subject);
  if (!signer.has_value()) {
    return base::unexpected(reject(TokenRejection::kStateUnavailable, "token: signing key state unavailable"));
  }
  if (!signer->has_value() || (*signer)->key_id() != parsed.claims.key_id ||
      !(*signer)->verify(detail::signed_message(parsed.payload), parsed.signature).has_value()) {
    return base::unexpected(reject(TokenRejection::kBadSignature, "token: signature does not verify"));
  }
  return std::move(parsed.claims);
}

base::Result<TokenClaims, TokenError> TokenValidator::validate(std::string_view token) const {
  RUSTYNET_ASSIGN_OR_RETURN(TokenClaims claims, verify_signer(token));

  // 4: wall clock; unusable means deny, never "time zero".
  auto wall = clock_->wall_now();
  if (!wall.has_value()) {
    return base::unexpected(reject(TokenRejection::kClockUnavailable, "token: wall clock unusable"));
  }
  const std::int64_t now = wall->seconds;
  const std::int64_t skew = config_.clock_skew.count();
  const std::int64_t iat = claims.issued_at.seconds;
  const std::int64_t exp = claims.expires_at.seconds;

  // 5: lifetime as issued.
  if (iat < 0 || exp <= iat || exp - iat > config_.max_lifetime.count()) {
    return base::unexpected(reject(TokenRejection::kInvalidLifetime, "token: lifetime out of range"));
  }
  // 6-7: validity window with +/- skew (inclusive boundary: exactly `skew` seconds is accepted).
  if (iat - now > skew) {
    return base::unexpected(reject(TokenRejection::kNotYetValid, "token: not yet valid"));
  }
  if (now - exp > skew) {
    return base::unexpected(reject(TokenRejection::kExpired, "token: expired"));
  }
  // 8: audience.
  if (claims.audience != config_.audience) {
    return base::unexpected(reject(TokenRejection::kWrongAudience, "token: wrong audience"));
  }
  // 9: revocation by token id or subject.
  auto revoked = revocations_->is_revoked(claims.token_id, claims.subject);
  if (!revoked.has_value()) {
    return base::unexpected(reject(TokenRejection::kStateUnavailable, "token: revocation state unavailable"));
  }
  if (*revoked) {
    return base::unexpected(reject(TokenRejection::kRevoked, "token: revoked"));
  }
  // 10: single use. Retained until the token could no longer pass step 7.
  auto recorded = nonces_->record_once(claims.nonce, base::UnixTime{exp + skew}, base::UnixTime{now});
  if (!recorded.has_value()) {
    return base::unexpected(reject(TokenRejection::kStateUnavailable, "token: nonce state unavailable"));
  }
  switch (*recorded) {
    case NonceOutcome::kFresh: break;
    case NonceOutcome::kReplayed: return base::unexpected(reject(TokenRejection::kReplayedNonce, "token: replayed"));
    case NonceOutcome::kFull:
      return base::unexpected(reject(TokenRejection::kNonceStoreFull, "token: anti-replay store full"));
  }
  return claims;
}

TokenIssuer::TokenIssuer(crypto::Ed25519SigningKey key, std::string audience, const base::Clock& clock)
    : key_(std::move(key)), audience_(std::move(audience)), clock_(&clock) {}

base::Result<std::string, TokenError> TokenIssuer::issue(std::string_view subject,
                                                         std::chrono::seconds lifetime) const {
  auto wall = clock_->wall_now();
  if (!wall.has_value()) {
    return base::unexpected(reject(TokenRejection::kClockUnavailable, "issuer: wall clock unusable"));
  }
  return issue_at(subject, *wall, lifetime);
}

base::Result<std::string, TokenError> TokenIssuer::issue_at(std::string_view subject, base::UnixTime issued_at,
                                                            std::chrono::seconds lifetime) const {
  TokenClaims claims;
  claims.key_id = key_.key_id();
  claims.token_id = random_token_handle();
  claims.subject = std::string(subject);
  claims.audience = audience_;
  claims.issued_at = issued_at;
  claims.expires_at = base::UnixTime{issued_at.seconds + lifetime.count()};
  claims.nonce = random_token_handle();
  return encode_token(claims, key_);
}

std::string random_token_handle() {
  std::array<unsigned char, 16> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    // No randomness means no unique nonces: continuing would weaken replay protection.
    static_cast<void>(std::fputs("rustynet-control: CSPRNG failure\n", stderr));
    std::abort();
  }
  return crypto::hex_encode(std::span<const std::uint8_t>(bytes.data(), bytes.size()));
}

}  // namespace rustynet::control
