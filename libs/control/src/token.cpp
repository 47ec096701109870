// SPDX-License-Identifier: Apache-2.0
// Token wire format: base64(JSON claims) "." base64(Ed25519 signature over context || claims).
#include "rustynet/control/token.hpp"

#include <nlohmann/json.hpp>

#include <vector>

#include "rustynet/base/strict_json.hpp"
#include "rustynet/crypto/encoding.hpp"
#include "token_internal.hpp"

namespace rustynet::control {
namespace {

TokenError malformed(std::string message) { return TokenError{TokenRejection::kMalformed, std::move(message)}; }

bool claim_ok(const std::string& value) { return !value.empty() && value.size() <= kMaxClaimLength; }

base::Status<TokenError> check_claims(const TokenClaims& claims) {
  for (const std::string* value :
       {&claims.key_id, &claims.token_id, &claims.subject, &claims.audience, &claims.nonce}) {
    if (!claim_ok(*value)) {
      return base::unexpected(
          malformed("token: string claims must be 1.." + std::to_string(kMaxClaimLength) + " bytes"));
    }
  }
  return {};
}

}  // namespace

std::string_view to_string(TokenRejection rejection) noexcept {
  switch (rejection) {
    case TokenRejection::kMalformed: return "malformed_token";
    case TokenRejection::kUnknownVersion: return "unknown_version";
    case TokenRejection::kBadSignature: return "bad_signature";
    case TokenRejection::kClockUnavailable: return "clock_unavailable";
    case TokenRejection::kInvalidLifetime: return "invalid_lifetime";
    case TokenRejection::kNotYetValid: return "not_yet_valid";
    case TokenRejection::kExpired: return "expired";
    case TokenRejection::kWrongAudience: return "wrong_audience";
    case TokenRejection::kRevoked: return "revoked";
    case TokenRejection::kReplayedNonce: return "replayed_nonce";
    case TokenRejection::kNonceStoreFull: return "nonce_store_full";
    case TokenRejection::kStateUnavailable: return "state_unavailable";
  }
  return "unknown";
}

namespace detail {

std::vector<std::uint8_t> signed_message(std::span<const std::uint8_t> payload) {
  std::vector<std::uint8_t> message(kTokenSignatureContext.begin(), kTokenSignatureContext.end());
  message.push_back(0);
  message.insert(message.end(), payload.begin(), payload.end());
  return message;
}

base::Result<ParsedToken, TokenError> parse_token(std::string_view token) {
  if (token.empty() || token.size() > kMaxTokenLength) {
    return base::unexpected(malformed("token: empty or longer than the maximum"));
  }
  const std::size_t dot = token.find('.');
  if (dot == std::string_view::npos || token.find('.', dot + 1) != std::string_view::npos) {
    return base::unexpected(malformed("token: expected two dot-separated parts"));
  }
  auto payload = crypto::base64_decode(token.substr(0, dot));
  auto signature = crypto::base64_decode(token.substr(dot + 1));
  if (!payload.has_value() || !signature.has_value()) {
    return base::unexpected(malformed("token: parts are not valid base64"));
  }
  ParsedToken parsed;
  parsed.payload = std::move(payload).value();
  parsed.signature = std::move(signature).value();

  const std::string_view text(static_cast<const char*>(static_cast<const void*>(parsed.payload.data())),
                              parsed.payload.size());
  auto json = base::parse_strict_json(text, base::JsonLimits{kMaxTokenLength, 2});
  if (!json.has_value()) {
    return base::unexpected(malformed("token: claims are not strict JSON"));
  }
  auto reader = base::JsonObjectReader::create(*json, "$");
  if (!reader.has_value()) {
    return base::unexpected(malformed("token: claims are not an object"));
  }
  // The version is read first and alone: an unknown version says nothing about the other fields.
  auto version = reader->required_int("version");
  if (!version.has_value()) {
    return base::unexpected(malformed("token: version missing or not an integer"));
  }
  if (*version != kTokenVersion) {
    return base::unexpected(TokenError{TokenRejection::kUnknownVersion, "token: unsupported version"});
  }
  TokenClaims& claims = parsed.claims;
  claims.version = *version;
  auto kid = reader->required_string("kid");
  auto jti = reader->required_string("jti");
  auto sub = reader->required_string("sub");
  auto aud = reader->required_string("aud");
  auto iat = reader->required_int("iat");
  auto exp = reader->required_int("exp");
  auto nonce = reader->required_string("nonce");
  if (!kid.has_value() || !jti.has_value() || !sub.has_value() || !aud.has_value() || !iat.has_value() ||
      !exp.has_value() || !nonce.has_value() || !reader->finish().has_value()) {
    return base::unexpected(malformed("token: claims missing, mistyped or unknown"));
  }
  claims.key_id = std::move(kid).value();
  claims.token_id = std::move(jti).value();
  claims.subject = std::move(sub).value();
  claims.audience = std::move(aud).value();
  claims.issued_at = base::UnixTime{*iat};
  claims.expires_at = base::UnixTime{*exp};
  claims.nonce = std::move(nonce).value();
  RUSTYNET_RETURN_IF_ERROR(check_claims(claims));
  return parsed;
}

}  // namespace detail

base::Result<std::string, TokenError> encode_token(const TokenClaims& claims, const crypto::Ed25519SigningKey& key) {
  RUSTYNET_RETURN_IF_ERROR(check_claims(claims));
  if (claims.key_id != key.key_id()) {
    return base::unexpected(malformed("token: key id does not match the signing key"));
  }
  const nlohmann::json json = {
      {"version", claims.version},        {"kid", claims.key_id},
      {"jti", claims.token_id},           {"sub", claims.subject},
      {"aud", claims.audience},           {"iat", claims.issued_at.seconds},
      {"exp", claims.expires_at.seconds}, {"nonce", claims.nonce},
  };
  const std::string text = json.dump(-1, ' ', false, nlohmann::json::error_handler_t::strict);
  const std::span<const std::uint8_t> payload(static_cast<const std::uint8_t*>(static_cast<const void*>(text.data())),
                                              text.size());
  const crypto::Ed25519Signature signature = key.sign(detail::signed_message(payload));
  std::string token = crypto::base64_encode(payload);
  token.push_back('.');
  token.append(crypto::base64_encode(signature));
  if (token.size() > kMaxTokenLength) {
    return base::unexpected(malformed("token: encoded token exceeds the maximum length"));
  }
  return token;
}

base::Result<TokenClaims, TokenError> peek_claims(std::string_view token) {
  RUSTYNET_ASSIGN_OR_RETURN(detail::ParsedToken parsed, detail::parse_token(token));
  return std::move(parsed.claims);
}

}  // namespace rustynet::control
