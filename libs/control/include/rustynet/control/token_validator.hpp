// SPDX-License-Identifier: Apache-2.0
// TokenValidator: the one place a control-plane token is accepted or rejected.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rustynet/base/clock.hpp"
#include "rustynet/base/result.hpp"
#include "rustynet/control/control_error.hpp"
#include "rustynet/control/nonce_store.hpp"
#include "rustynet/control/revocation_store.hpp"
#include "rustynet/control/token.hpp"
#include "rustynet/crypto/ed25519.hpp"

namespace rustynet::control {

struct TokenValidatorConfig {
  std::string audience;                                   // this service's audience name
  std::chrono::seconds clock_skew = kClockSkewTolerance;  // +/- tolerance on issued-at and expires-at
  std::chrono::seconds max_lifetime = kDefaultTokenLifetime;
};

// Finds the public key that must have signed a token, from the token's claimed `kid` and `sub`
// (docs/token-model.md "Key resolution"). nullopt: no such key for that subject (the token is
// kBadSignature); an error: the key source could not be read (kStateUnavailable, deny).
// Implementations must be thread-safe.
class TokenKeyResolver {
 public:
  virtual ~TokenKeyResolver() = default;
  [[nodiscard]] virtual base::Result<std::optional<crypto::Ed25519PublicKey>, StateError> resolve(
      std::string_view key_id, std::string_view subject) const = 0;
};

// A fixed key set trusted for every subject (the original single-issuer model).
class StaticKeyResolver final : public TokenKeyResolver {
 public:
  explicit StaticKeyResolver(std::vector<crypto::Ed25519PublicKey> keys) : keys_(std::move(keys)) {}
  [[nodiscard]] base::Result<std::optional<crypto::Ed25519PublicKey>, StateError> resolve(
      std::string_view key_id, std::string_view subject) const override;

 private:
  std::vector<crypto::Ed25519PublicKey> keys_;
};

// Validates in this order, stopping at the first failure (docs/token-model.md):
//   1 kMalformed  2 kUnknownVersion  3 kBadSignature  4 kClockUnavailable  5 kInvalidLifetime
//   6 kNotYetValid (iat > now + skew)  7 kExpired (now > exp + skew)  8 kWrongAudience
//   9 kRevoked / kStateUnavailable  10 kReplayedNonce / kNonceStoreFull / kStateUnavailable.
// The nonce is recorded only when every earlier check passed, so rejected or forged tokens never
// consume store capacity. Thread-safe if the stores are. References must outlive the validator.
class TokenValidator {
 public:
  // Trusts `trusted_keys` for every subject (a StaticKeyResolver owned by the validator).
  TokenValidator(TokenValidatorConfig config, std::vector<crypto::Ed25519PublicKey> trusted_keys,
                 const base::Clock& clock, RevocationStore& revocations, NonceStore& nonces);
  // Resolves the signer per token through `resolver` (must outlive the validator). A resolver
  // error fails step 3 with kStateUnavailable.
  TokenValidator(TokenValidatorConfig config, const TokenKeyResolver& resolver, const base::Clock& clock,
                 RevocationStore& revocations, NonceStore& nonces);

  [[nodiscard]] base::Result<TokenClaims, TokenError> validate(std::string_view token) const;
  // Steps 1-3 only: the token is well formed and signed by the key the resolver names for its
  // (kid, sub). Touches no revocation or nonce state, so it proves who is asking without
  // accepting the token (the auth chain keys its limits on the answer). Errors: kMalformed,
  // kUnknownVersion, kBadSignature, kStateUnavailable (resolver).
  [[nodiscard]] base::Result<TokenClaims, TokenError> verify_signer(std::string_view token) const;

  [[nodiscard]] const TokenValidatorConfig& config() const noexcept { return config_; }

 private:
  TokenValidatorConfig config_;
  std::shared_ptr<const TokenKeyResolver> owned_resolver_;
  const TokenKeyResolver* resolver_;
  const base::Clock* clock_;
  RevocationStore* revocations_;
  NonceStore* nonces_;
};

// Issues tokens with fresh random token ids and nonces. Thread-safe.
class TokenIssuer {
 public:
  TokenIssuer(crypto::Ed25519SigningKey key, std::string audience, const base::Clock& clock);

  // Errors: kClockUnavailable (wall clock unusable), kMalformed (bad subject).
  [[nodiscard]] base::Result<std::string, TokenError> issue(
      std::string_view subject, std::chrono::seconds lifetime = kDefaultTokenLifetime) const;
  // Same, with explicit claims timing (tests and tools).
  [[nodiscard]] base::Result<std::string, TokenError> issue_at(std::string_view subject, base::UnixTime issued_at,
                                                               std::chrono::seconds lifetime) const;

  [[nodiscard]] const crypto::Ed25519PublicKey& public_key() const noexcept { return key_.public_key(); }

 private:
  crypto::Ed25519SigningKey key_;
  std::string audience_;
  const base::Clock* clock_;
};

// 16 random bytes from the OS CSPRNG, lowercase hex (token ids and nonces).
[[nodiscard]] std::string random_token_handle();

}  // namespace rustynet::control
