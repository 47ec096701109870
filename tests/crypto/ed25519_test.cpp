// SPDX-License-Identifier: Apache-2.0
// Ed25519: RFC 8032 section 7.1 vectors, verification negatives, key ids, move semantics.
#include "rustynet/crypto/ed25519.hpp"

#include <gtest/gtest.h>

#include <set>
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

struct Rfc8032Vector {
  const char* name;
  const char* secret;
  const char* public_key;
  const char* message;
  const char* signature;
};

// RFC 8032 section 7.1, TEST 1, 2, 3 and SHA(abc).
const Rfc8032Vector kVectors[] = {
    {"test1", "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24"
     "655141438e7a100b"},
    {"test2", "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb"
     "0"
     "0d291612bb0c00"},
    {"test3", "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
     "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc"
     "0"
     "27beceea1ec40a"},
    {"sha_abc", "833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42",
     "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
     "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2"
     "a"
     "9ac94fa54ca49f",
     "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b58909351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad"
     "9"
     "bef1177331a704"},
};

TEST(Ed25519Test, Rfc8032Vectors) {
  for (const auto& vector : kVectors) {
    SCOPED_TRACE(vector.name);
    auto key = Ed25519SigningKey::from_seed(unhex(vector.secret));
    ASSERT_TRUE(key.has_value());
    const auto expected_public = unhex(vector.public_key);
    EXPECT_TRUE(std::equal(key->public_key().bytes().begin(), key->public_key().bytes().end(), expected_public.begin(),
                           expected_public.end()));
    const auto message = unhex(vector.message);
    const Ed25519Signature signature = key->sign(message);
    EXPECT_EQ(hex_encode(signature), vector.signature);
    EXPECT_TRUE(key->public_key().verify(message, signature).has_value());

    auto parsed = Ed25519PublicKey::from_bytes(expected_public);
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(*parsed, key->public_key());
    EXPECT_TRUE(parsed->verify(message, unhex(vector.signature)).has_value());

    const auto seed = key->export_seed();
    EXPECT_EQ(hex_encode(seed.view()), vector.secret);
  }
}

TEST(Ed25519Test, VerifyRejectsTamperedMessageSignatureAndKey) {
  auto key = Ed25519SigningKey::generate();
  ASSERT_TRUE(key.has_value());
  const std::vector<std::uint8_t> message{'p', 'o', 'l', 'i', 'c', 'y'};
  const Ed25519Signature signature = key->sign(message);
  ASSERT_TRUE(key->public_key().verify(message, signature).has_value());

  for (std::size_t i = 0; i < signature.size(); ++i) {
    Ed25519Signature flipped = signature;
    flipped[i] = static_cast<std::uint8_t>(flipped[i] ^ 0x01U);
    auto result = key->public_key().verify(message, flipped);
    ASSERT_FALSE(result.has_value()) << i;
    EXPECT_EQ(result.error().kind, CryptoErrorKind::kVerifyFailed);
  }
  std::vector<std::uint8_t> altered = message;
  altered[0] = 'P';
  EXPECT_FALSE(key->public_key().verify(altered, signature).has_value());
  EXPECT_FALSE(key->public_key().verify(message, std::span(signature).first(63)).has_value());
  EXPECT_FALSE(key->public_key().verify(message, std::vector<std::uint8_t>()).has_value());

  auto other = Ed25519SigningKey::generate();
  ASSERT_TRUE(other.has_value());
  EXPECT_FALSE(other->public_key().verify(message, signature).has_value());
}

TEST(Ed25519Test, PublicKeyParsingRejectsBadInput) {
  EXPECT_EQ(Ed25519PublicKey::from_bytes(std::vector<std::uint8_t>(31, 1)).error().kind, CryptoErrorKind::kInvalidKey);
  EXPECT_EQ(Ed25519PublicKey::from_bytes(std::vector<std::uint8_t>(33, 1)).error().kind, CryptoErrorKind::kInvalidKey);
  // The identity point (small order) is refused.
  std::vector<std::uint8_t> identity(32, 0);
  identity[0] = 1;
  EXPECT_EQ(Ed25519PublicKey::from_bytes(identity).error().kind, CryptoErrorKind::kInvalidKey);
  EXPECT_EQ(Ed25519PublicKey::from_base64("not base64").error().kind, CryptoErrorKind::kInvalidEncoding);
  EXPECT_EQ(Ed25519PublicKey::from_base64("AAAA").error().kind, CryptoErrorKind::kInvalidKey);
}

TEST(Ed25519Test, Base64RoundTripAndOrdering) {
  auto a = Ed25519SigningKey::generate();
  auto b = Ed25519SigningKey::generate();
  ASSERT_TRUE(a.has_value() && b.has_value());
  const std::string text = a->public_key().to_base64();
  EXPECT_EQ(text.size(), 44U);
  auto parsed = Ed25519PublicKey::from_base64(text);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(*parsed, a->public_key());
  EXPECT_NE(a->public_key(), b->public_key());
  EXPECT_TRUE((a->public_key() < b->public_key()) != (b->public_key() < a->public_key()));
  std::set<Ed25519PublicKey> keys{a->public_key(), b->public_key(), *parsed};
  EXPECT_EQ(keys.size(), 2U);
}

TEST(Ed25519Test, KeyIdIsStableShortAndDistinct) {
  auto key = Ed25519SigningKey::from_seed(unhex(kVectors[0].secret));
  ASSERT_TRUE(key.has_value());
  const std::string id = key->key_id();
  EXPECT_EQ(id.size(), kKeyIdLength);
  EXPECT_EQ(id, key->public_key().key_id());
  EXPECT_EQ(id, key_id_of(key->public_key().bytes()));
  EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos);
  auto other = Ed25519SigningKey::from_seed(unhex(kVectors[1].secret));
  ASSERT_TRUE(other.has_value());
  EXPECT_NE(other->key_id(), id);
  // Not a prefix of the key itself (domain-separated hash).
  EXPECT_NE(hex_encode(key->public_key().bytes()).substr(0, kKeyIdLength), id);
}

TEST(Ed25519Test, SeedLengthIsChecked) {
  EXPECT_EQ(Ed25519SigningKey::from_seed(std::vector<std::uint8_t>(31, 0)).error().kind, CryptoErrorKind::kInvalidKey);
  EXPECT_EQ(Ed25519SigningKey::from_seed(std::vector<std::uint8_t>(64, 0)).error().kind, CryptoErrorKind::kInvalidKey);
}

TEST(Ed25519Test, MoveAndCloneKeepSigningIdentity) {
  auto key = Ed25519SigningKey::generate();
  ASSERT_TRUE(key.has_value());
  const std::vector<std::uint8_t> message{1, 2, 3};
  auto copy = key->clone();
  ASSERT_TRUE(copy.has_value());
  EXPECT_EQ(copy->sign(message), key->sign(message));  // Ed25519 is deterministic
  Ed25519SigningKey moved = std::move(*key);
  EXPECT_TRUE(moved.public_key().verify(message, copy->sign(message)).has_value());
  static_assert(!std::is_copy_constructible_v<Ed25519SigningKey>);
  static_assert(!std::is_copy_assignable_v<Ed25519SigningKey>);
  static_assert(std::is_nothrow_move_constructible_v<Ed25519SigningKey>);
}

}  // namespace
}  // namespace rustynet::crypto
