// SPDX-License-Identifier: Apache-2.0
// Fuzz target: control token parsing (control::detail::parse_token, peek_claims), the bearer tokens
// every control API request carries.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_support.hpp"
#include "rustynet/control/token.hpp"
#include "rustynet/crypto/ed25519.hpp"
#include "token_internal.hpp"

namespace control = rustynet::control;
namespace crypto = rustynet::crypto;

namespace {

const crypto::Ed25519SigningKey& signing_key() {
  static const crypto::Ed25519SigningKey key = [] {
    std::array<std::uint8_t, 32> seed{};
    seed.fill(0x22);
    return crypto::Ed25519SigningKey::from_seed(seed).value();
  }();
  return key;
}

bool same_claims(const control::TokenClaims& a, const control::TokenClaims& b) {
  return a.version == b.version && a.key_id == b.key_id && a.token_id == b.token_id && a.subject == b.subject &&
         a.audience == b.audience && a.issued_at == b.issued_at && a.expires_at == b.expires_at && a.nonce == b.nonce;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = rustynet::fuzz::as_text(data, size);
  auto parsed = control::detail::parse_token(text);
  auto peeked = control::peek_claims(text);
  // peek_claims is parse_token without the signature: both accept and refuse the same inputs.
  FUZZ_CHECK(parsed.has_value() == peeked.has_value());
  if (!parsed.has_value()) {
    FUZZ_CHECK(parsed.error().kind == peeked.error().kind);
    FUZZ_CHECK(parsed.error().kind == control::TokenRejection::kMalformed ||
               parsed.error().kind == control::TokenRejection::kUnknownVersion);
    return 0;
  }
  const control::TokenClaims& claims = parsed->claims;
  FUZZ_CHECK(same_claims(claims, *peeked));
  FUZZ_CHECK(text.size() <= control::kMaxTokenLength);
  FUZZ_CHECK(claims.version == control::kTokenVersion);
  for (const std::string* claim :
       {&claims.key_id, &claims.token_id, &claims.subject, &claims.audience, &claims.nonce}) {
    FUZZ_CHECK(claim->size() <= control::kMaxClaimLength);
  }
  // Re-encoding the claims (signed with the harness key) parses back to the same claims.
  control::TokenClaims resigned = claims;
  resigned.key_id = signing_key().key_id();
  auto encoded = control::encode_token(resigned, signing_key());
  if (!encoded.has_value()) {
    // Only the length bound may refuse claims the parser accepted (the harness key id can be
    // longer than the original one).
    FUZZ_CHECK(encoded.error().kind == control::TokenRejection::kMalformed);
    return 0;
  }
  auto again = control::detail::parse_token(*encoded);
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(same_claims(again->claims, resigned));
  auto encoded_again = control::encode_token(again->claims, signing_key());
  FUZZ_CHECK(encoded_again.has_value() && *encoded_again == *encoded);
  return 0;
}
