// SPDX-License-Identifier: Apache-2.0
// Token validation: each rejection is distinct, the order is the documented one, skew is +/-90 s.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "manual_clock.hpp"
#include "rustynet/control/nonce_store.hpp"
#include "rustynet/control/revocation_store.hpp"
#include "rustynet/control/token.hpp"
#include "rustynet/control/token_validator.hpp"
#include "rustynet/crypto/encoding.hpp"

namespace rustynet::control {
namespace {

constexpr std::int64_t kNow = 1'800'000'000;

crypto::Ed25519SigningKey make_key(std::uint8_t seed_byte) {
  std::array<std::uint8_t, 32> seed{};
  seed.fill(seed_byte);
  return crypto::Ed25519SigningKey::from_seed(seed).value();
}

class TokenTest : public ::testing::Test {
 protected:
  TokenTest()
      : clock_(kNow),
        key_(make_key(7)),
        nonces_(1000),
        validator_(TokenValidatorConfig{"rustynet-control"}, {key_.public_key()}, clock_, revocations_, nonces_) {}

  TokenClaims claims(std::int64_t iat_offset = 0, std::int64_t lifetime = 300) {
    TokenClaims c;
    c.key_id = key_.key_id();
    c.token_id = random_token_handle();
    c.subject = "node-alice";
    c.audience = "rustynet-control";
    c.issued_at = base::UnixTime{kNow + iat_offset};
    c.expires_at = base::UnixTime{kNow + iat_offset + lifetime};
    c.nonce = random_token_handle();
    return c;
  }
  std::string sign(const TokenClaims& c) { return encode_token(c, key_).value(); }
  TokenRejection rejection(const std::string& token) {
    auto result = validator_.validate(token);
    EXPECT_FALSE(result.has_value());
    return result.has_value() ? TokenRejection::kMalformed : result.error().kind;
  }

  testing::ManualClock clock_;
  crypto::Ed25519SigningKey key_;
  MemoryRevocationStore revocations_;
  MemoryNonceStore nonces_;
  TokenValidator validator_;
};

TEST_F(TokenTest, DefaultsExactly) {
  EXPECT_EQ(kDefaultTokenLifetime, std::chrono::seconds(300));
  EXPECT_EQ(kClockSkewTolerance, std::chrono::seconds(90));
}

TEST_F(TokenTest, ValidTokenAcceptedOnceThenReplayRejected) {
  const TokenClaims c = claims();
  const std::string token = sign(c);
  auto accepted = validator_.validate(token);
  ASSERT_TRUE(accepted.has_value()) << accepted.error().message;
  EXPECT_EQ(accepted->subject, "node-alice");
  EXPECT_EQ(accepted->token_id, c.token_id);
  EXPECT_EQ(rejection(token), TokenRejection::kReplayedNonce);
}

TEST_F(TokenTest, IssuerProducesValidTokens) {
  const TokenIssuer issuer(make_key(7), "rustynet-control", clock_);
  const std::string token = issuer.issue("node-bob").value();
  auto claims_or = validator_.validate(token);
  ASSERT_TRUE(claims_or.has_value());
  EXPECT_EQ(claims_or->expires_at.seconds - claims_or->issued_at.seconds, 300);
  EXPECT_EQ(claims_or->nonce.size(), 32U);
}

// iat in the future: 89 and 90 s accepted, 91 s rejected.
TEST_F(TokenTest, SkewBoundaryIssuedInTheFuture) {
  EXPECT_TRUE(validator_.validate(sign(claims(89))).has_value());
  EXPECT_TRUE(validator_.validate(sign(claims(90))).has_value());
  EXPECT_EQ(rejection(sign(claims(91))), TokenRejection::kNotYetValid);
}

// exp in the past: 89 and 90 s accepted, 91 s rejected.
TEST_F(TokenTest, SkewBoundaryExpiredInThePast) {
  EXPECT_TRUE(validator_.validate(sign(claims(-300 - 89))).has_value());
  EXPECT_TRUE(validator_.validate(sign(claims(-300 - 90))).has_value());
  EXPECT_EQ(rejection(sign(claims(-300 - 91))), TokenRejection::kExpired);
}

TEST_F(TokenTest, SkewBoundariesViaClockMovement) {
  // Same boundaries approached by moving the verifier's clock instead of the claims.
  const TokenClaims base_claims = claims();
  for (const auto& [offset, accepted] : std::vector<std::pair<std::int64_t, bool>>{
           {-89, true}, {-90, true}, {-91, false}, {300 + 89, true}, {300 + 90, true}, {300 + 91, false}}) {
    TokenClaims c = base_claims;
    c.nonce = random_token_handle();
    clock_.set_wall(kNow + offset);
    auto result = validator_.validate(sign(c));
    EXPECT_EQ(result.has_value(), accepted) << "offset " << offset;
    if (!accepted && !result.has_value()) {
      EXPECT_EQ(result.error().kind, offset < 0 ? TokenRejection::kNotYetValid : TokenRejection::kExpired);
    }
  }
}

TEST_F(TokenTest, WrongAudience) {
  TokenClaims c = claims();
  c.audience = "some-other-service";
  EXPECT_EQ(rejection(sign(c)), TokenRejection::kWrongAudience);
}

TEST_F(TokenTest, RevokedByTokenIdAndBySubject) {
  TokenClaims c = claims();
  ASSERT_TRUE(revocations_.revoke_token(c.token_id, base::UnixTime{kNow + 390}).has_value());
  EXPECT_EQ(rejection(sign(c)), TokenRejection::kRevoked);
  TokenClaims d = claims();
  d.subject = "node-mallory";
  ASSERT_TRUE(revocations_.revoke_subject("node-mallory").has_value());
  EXPECT_EQ(rejection(sign(d)), TokenRejection::kRevoked);
}

TEST_F(TokenTest, BadSignatureAndUnknownKey) {
  const std::string token = sign(claims());
  std::string tampered = token;
  // Flip one character of the signature part (still valid base64).
  const std::size_t pos = tampered.find('.') + 5;
  tampered[pos] = tampered[pos] == 'A' ? 'B' : 'A';
  EXPECT_EQ(rejection(tampered), TokenRejection::kBadSignature);

  const crypto::Ed25519SigningKey stranger = make_key(9);
  TokenClaims c = claims();
  c.key_id = stranger.key_id();
  EXPECT_EQ(rejection(encode_token(c, stranger).value()), TokenRejection::kBadSignature);

  // Claims altered after signing (payload swapped): signature no longer matches.
  TokenClaims other = claims();
  other.subject = "node-root";
  const std::string forged_payload = sign(other).substr(0, sign(other).find('.'));
  EXPECT_EQ(rejection(forged_payload + token.substr(token.find('.'))), TokenRejection::kBadSignature);
}

TEST_F(TokenTest, UnknownVersion) {
  TokenClaims c = claims();
  c.version = 2;
  EXPECT_EQ(rejection(sign(c)), TokenRejection::kUnknownVersion);
}

TEST_F(TokenTest, Malformed) {
  EXPECT_EQ(rejection(""), TokenRejection::kMalformed);
  EXPECT_EQ(rejection("abc"), TokenRejection::kMalformed);
  EXPECT_EQ(rejection("a.b.c"), TokenRejection::kMalformed);
  EXPECT_EQ(rejection("!!!.???"), TokenRejection::kMalformed);
  EXPECT_EQ(rejection(std::string(kMaxTokenLength + 1, 'A')), TokenRejection::kMalformed);
  const std::string not_json = crypto::base64_encode(std::vector<std::uint8_t>{'x'});
  EXPECT_EQ(rejection(not_json + "." + not_json), TokenRejection::kMalformed);
  TokenClaims c = claims();
  c.subject = std::string(kMaxClaimLength + 1, 's');
  EXPECT_FALSE(encode_token(c, key_).has_value());
}

TEST_F(TokenTest, InvalidLifetime) {
  EXPECT_EQ(rejection(sign(claims(0, 301))), TokenRejection::kInvalidLifetime);
  EXPECT_EQ(rejection(sign(claims(0, 0))), TokenRejection::kInvalidLifetime);
  EXPECT_EQ(rejection(sign(claims(0, -5))), TokenRejection::kInvalidLifetime);
}

TEST_F(TokenTest, WallClockUnusableFailsClosed) {
  clock_.set_wall_usable(false);
  EXPECT_EQ(rejection(sign(claims())), TokenRejection::kClockUnavailable);
  EXPECT_EQ(nonces_.size(), 0U);
}

// Order: a token that is both expired and for the wrong audience and revoked reports expiry; a
// bad signature beats everything after it; nonces are only consumed by fully valid tokens.
TEST_F(TokenTest, ValidationOrder) {
  TokenClaims c = claims(-1000);
  c.audience = "elsewhere";
  ASSERT_TRUE(revocations_.revoke_token(c.token_id, base::UnixTime{kNow}).has_value());
  EXPECT_EQ(rejection(sign(c)), TokenRejection::kExpired);
  c = claims();
  c.audience = "elsewhere";
  ASSERT_TRUE(revocations_.revoke_token(c.token_id, base::UnixTime{kNow + 400}).has_value());
  EXPECT_EQ(rejection(sign(c)), TokenRejection::kWrongAudience);
  c.audience = "rustynet-control";
  EXPECT_EQ(rejection(sign(c)), TokenRejection::kRevoked);
  const crypto::Ed25519SigningKey stranger = make_key(9);
  TokenClaims d = claims(-1000);
  d.key_id = stranger.key_id();
  EXPECT_EQ(rejection(encode_token(d, stranger).value()), TokenRejection::kBadSignature);
  TokenClaims v2 = claims();
  v2.version = 9;
  EXPECT_EQ(rejection(sign(v2)), TokenRejection::kUnknownVersion);
  EXPECT_EQ(nonces_.size(), 0U);
}

TEST_F(TokenTest, NonceStoreFullAndStateErrorsDeny) {
  MemoryNonceStore tiny(1);
  const TokenValidator validator(TokenValidatorConfig{"rustynet-control"}, {key_.public_key()}, clock_, revocations_,
                                 tiny);
  EXPECT_TRUE(validator.validate(sign(claims())).has_value());
  auto full = validator.validate(sign(claims()));
  ASSERT_FALSE(full.has_value());
  EXPECT_EQ(full.error().kind, TokenRejection::kNonceStoreFull);
}

TEST_F(TokenTest, ErrorMessagesNeverContainTheToken) {
  const std::string token = sign(claims(-1000));
  auto result = validator_.validate(token);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().message.find(token.substr(0, 16)), std::string::npos);
}

TEST_F(TokenTest, RejectionNamesDistinct) {
  std::set<std::string_view> names;
  for (int i = 0; i <= static_cast<int>(TokenRejection::kStateUnavailable); ++i) {
    names.insert(to_string(static_cast<TokenRejection>(i)));
  }
  EXPECT_EQ(names.size(), 12U);
}

}  // namespace
}  // namespace rustynet::control
