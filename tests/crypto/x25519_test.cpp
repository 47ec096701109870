// SPDX-License-Identifier: Apache-2.0
// X25519: RFC 7748 vectors, tunnel-style base64 keys, clamping, secret key semantics.
#include "rustynet/crypto/x25519.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "rustynet/crypto/encoding.hpp"

namespace rustynet::crypto {
namespace {

std::vector<std::uint8_t> unhex(std::string_view text) {
  auto decoded = hex_decode(text);
  if (!decoded.has_value()) {
    ADD_FAILURE() << "bad hex in test vector";
    return {};
  }
  return *decoded;
}

SecretKey secret_from_hex(std::string_view text) {
  auto key = SecretKey::from_bytes(unhex(text));
  if (!key.has_value()) {
    std::abort();
  }
  return std::move(key).value();
}

PublicKey public_from_hex(std::string_view text) {
  auto key = PublicKey::from_bytes(unhex(text));
  if (!key.has_value()) {
    std::abort();
  }
  return *key;
}

std::string shared_hex(const SecretKey& secret, const PublicKey& peer) {
  auto shared = x25519_shared_secret(secret, peer);
  if (!shared.has_value()) {
    ADD_FAILURE() << shared.error();
    return {};
  }
  return hex_encode(shared->expose());
}

// RFC 7748 section 5.2: the two single-shot vectors (scalars are clamped by X25519 itself).
TEST(X25519Test, Rfc7748FunctionVectors) {
  EXPECT_EQ(shared_hex(secret_from_hex("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4"),
                       public_from_hex("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c")),
            "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552");
  EXPECT_EQ(shared_hex(secret_from_hex("4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d"),
                       public_from_hex("e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493")),
            "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957");
}

// RFC 7748 section 5.2: iterated vector, 1 and 1000 iterations.
TEST(X25519Test, Rfc7748IteratedVector) {
  std::vector<std::uint8_t> k(32, 0);
  k[0] = 9;
  std::vector<std::uint8_t> u = k;
  for (int iteration = 1; iteration <= 1000; ++iteration) {
    auto secret = SecretKey::from_bytes(k);
    auto peer = PublicKey::from_bytes(u);
    ASSERT_TRUE(secret.has_value() && peer.has_value());
    auto result = x25519_shared_secret(*secret, *peer);
    ASSERT_TRUE(result.has_value());
    u = k;
    k.assign(result->expose().begin(), result->expose().end());
    if (iteration == 1) {
      EXPECT_EQ(hex_encode(k), "422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079");
    }
  }
  EXPECT_EQ(hex_encode(k), "684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51");
}

// RFC 7748 section 6.1: Diffie-Hellman between Alice and Bob.
TEST(X25519Test, Rfc7748DiffieHellman) {
  auto alice =
      NodeKeyPair::from_secret(secret_from_hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"));
  auto bob =
      NodeKeyPair::from_secret(secret_from_hex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"));
  ASSERT_TRUE(alice.has_value() && bob.has_value());
  EXPECT_EQ(hex_encode(alice->public_key().bytes()),
            "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
  EXPECT_EQ(hex_encode(bob->public_key().bytes()), "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
  const std::string expected = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";
  EXPECT_EQ(shared_hex(alice->secret_key(), bob->public_key()), expected);
  EXPECT_EQ(shared_hex(bob->secret_key(), alice->public_key()), expected);
}

TEST(X25519Test, AllZeroSharedSecretIsRefused) {
  auto pair = NodeKeyPair::generate();
  ASSERT_TRUE(pair.has_value());
  auto zero = PublicKey::from_bytes(std::vector<std::uint8_t>(32, 0));
  ASSERT_TRUE(zero.has_value());
  auto shared = x25519_shared_secret(pair->secret_key(), *zero);
  ASSERT_FALSE(shared.has_value());
  EXPECT_EQ(shared.error().kind, CryptoErrorKind::kOperationFailed);
}

// Tunnel keys are 32 bytes written as 44-character padded standard base64; the private key is a
// clamped scalar. These are the RFC 7748 keys in that encoding.
TEST(X25519Test, TunnelStyleBase64RoundTrips) {
  auto alice =
      NodeKeyPair::from_secret(secret_from_hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"));
  ASSERT_TRUE(alice.has_value());
  EXPECT_EQ(alice->public_key().to_base64(), "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=");
  auto parsed = PublicKey::from_base64("hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(*parsed, alice->public_key());
  EXPECT_EQ(base64_encode(alice->secret_key().expose()), "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=");
  auto secret_bytes = base64_decode_secret("dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=");
  ASSERT_TRUE(secret_bytes.has_value());
  auto secret = SecretKey::from_bytes(secret_bytes->view());
  ASSERT_TRUE(secret.has_value());
  EXPECT_TRUE(*secret == alice->secret_key());

  for (int i = 0; i < 32; ++i) {
    auto pair = NodeKeyPair::generate();
    ASSERT_TRUE(pair.has_value());
    const std::string text = pair->public_key().to_base64();
    ASSERT_EQ(text.size(), 44U);
    ASSERT_EQ(text.back(), '=');
    auto again = PublicKey::from_base64(text);
    ASSERT_TRUE(again.has_value());
    EXPECT_EQ(*again, pair->public_key());
    EXPECT_EQ(again->to_base64(), text);
  }
  EXPECT_EQ(PublicKey::from_base64("hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTm==").error().kind,
            CryptoErrorKind::kInvalidEncoding);
  EXPECT_EQ(PublicKey::from_base64("hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo").error().kind,
            CryptoErrorKind::kInvalidEncoding);
  EXPECT_EQ(PublicKey::from_base64("AAAA").error().kind, CryptoErrorKind::kInvalidKey);
}

TEST(X25519Test, GeneratedSecretsAreClampedAndDistinct) {
  auto a = NodeKeyPair::generate();
  auto b = NodeKeyPair::generate();
  ASSERT_TRUE(a.has_value() && b.has_value());
  for (const auto* pair : {&*a, &*b}) {
    const auto scalar = pair->secret_key().expose();
    ASSERT_EQ(scalar.size(), 32U);
    EXPECT_EQ(scalar[0] & 7U, 0U);
    EXPECT_EQ(scalar[31] & 0x80U, 0U);
    EXPECT_EQ(scalar[31] & 0x40U, 0x40U);
  }
  EXPECT_FALSE(a->secret_key() == b->secret_key());
  EXPECT_NE(a->public_key(), b->public_key());
  EXPECT_NE(a->key_id(), b->key_id());
}

TEST(X25519Test, UnclampedImportGivesSamePublicKeyAsClamped) {
  auto raw = unhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
  auto unclamped = NodeKeyPair::from_secret(secret_from_hex(hex_encode(raw)));
  std::array<std::uint8_t, 32> clamped{};
  std::copy(raw.begin(), raw.end(), clamped.begin());
  clamp_x25519_scalar(clamped);
  auto clamped_key = SecretKey::from_bytes(clamped);
  ASSERT_TRUE(clamped_key.has_value());
  auto clamped_pair = NodeKeyPair::from_secret(std::move(*clamped_key));
  ASSERT_TRUE(unclamped.has_value() && clamped_pair.has_value());
  EXPECT_EQ(unclamped->public_key(), clamped_pair->public_key());
}

TEST(X25519Test, SecretKeySemantics) {
  static_assert(!std::is_copy_constructible_v<SecretKey>);
  static_assert(!std::is_copy_assignable_v<SecretKey>);
  static_assert(!std::is_copy_constructible_v<NodeKeyPair>);
  auto key = SecretKey::generate();
  ASSERT_TRUE(key.has_value());
  auto copy = key->clone();
  ASSERT_TRUE(copy.has_value());
  EXPECT_TRUE(*copy == *key);
  SecretKey moved = std::move(*key);
  EXPECT_TRUE(key->empty());  // NOLINT(bugprone-use-after-move): moved-from state is specified
  EXPECT_TRUE(key->expose().empty());
  EXPECT_TRUE(moved == *copy);
  EXPECT_FALSE(moved == *key);
  EXPECT_EQ(SecretKey::from_bytes(std::vector<std::uint8_t>(31, 0)).error().kind, CryptoErrorKind::kInvalidKey);
  EXPECT_EQ(PublicKey::from_bytes(std::vector<std::uint8_t>(33, 0)).error().kind, CryptoErrorKind::kInvalidKey);
  auto empty_pair = NodeKeyPair::from_secret(std::move(moved));
  ASSERT_TRUE(empty_pair.has_value());
  auto from_empty = NodeKeyPair::from_secret(std::move(*key));  // NOLINT(bugprone-use-after-move)
  ASSERT_FALSE(from_empty.has_value());
  EXPECT_EQ(from_empty.error().kind, CryptoErrorKind::kInvalidKey);
}

}  // namespace
}  // namespace rustynet::crypto
