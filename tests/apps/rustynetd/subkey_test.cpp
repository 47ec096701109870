// SPDX-License-Identifier: Apache-2.0
// Tests of the trust-state MAC subkey derivation (libs/crypto subkey.hpp).
#include "rustynet/crypto/subkey.hpp"

#include <gtest/gtest.h>

#include <array>
#include <sstream>

#include "rustynet/crypto/encoding.hpp"

namespace rustynet::crypto {
namespace {

std::array<std::uint8_t, 32> seed_of(std::uint8_t byte) {
  std::array<std::uint8_t, 32> seed{};
  seed.fill(byte);
  return seed;
}

TEST(SubkeyTest, DeterministicAndThirtyTwoBytes) {
  const auto a = derive_trust_state_mac_key(seed_of(1));
  const auto b = derive_trust_state_mac_key(seed_of(1));
  ASSERT_TRUE(a.has_value());
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(a->size(), kTrustStateMacSubkeySize);
  EXPECT_TRUE(*a == *b);
}

TEST(SubkeyTest, DifferentIdentitiesGiveUnrelatedKeys) {
  const auto a = derive_trust_state_mac_key(seed_of(1));
  const auto b = derive_trust_state_mac_key(seed_of(2));
  ASSERT_TRUE(a.has_value() && b.has_value());
  EXPECT_FALSE(*a == *b);
}

TEST(SubkeyTest, SubkeyIsNotTheMasterSecret) {
  const auto master = seed_of(7);
  const auto key = derive_trust_state_mac_key(master);
  ASSERT_TRUE(key.has_value());
  EXPECT_FALSE(std::equal(master.begin(), master.end(), key->view().begin()));
}

// Known answer: pins the (context, id) pair so that a silent change (which would make every
// deployed trust state fail its MAC) breaks this test. Value computed with libsodium
// crypto_kdf_derive_from_key(32, 1, "rntrust1", 0x01 * 32).
TEST(SubkeyTest, KnownAnswerPinsContextAndId) {
  const auto key = derive_trust_state_mac_key(seed_of(1));
  ASSERT_TRUE(key.has_value());
  EXPECT_EQ(hex_encode(key->view()), "0f1d255429e80bfa4ce9eaada53761835196758c160ddf92263dbd800c366e32");
}

TEST(SubkeyTest, FromSigningKeyMatchesSeed) {
  const auto seed = seed_of(9);
  auto signing = Ed25519SigningKey::from_seed(seed);
  ASSERT_TRUE(signing.has_value());
  const auto from_key = derive_trust_state_mac_key(*signing);
  const auto from_seed = derive_trust_state_mac_key(seed);
  ASSERT_TRUE(from_key.has_value() && from_seed.has_value());
  EXPECT_TRUE(*from_key == *from_seed);
}

TEST(SubkeyTest, RejectsWrongSizeAndZeroMaster) {
  const std::array<std::uint8_t, 16> short_key{1};
  const auto bad_size = derive_trust_state_mac_key(short_key);
  ASSERT_FALSE(bad_size.has_value());
  EXPECT_EQ(bad_size.error().kind, CryptoErrorKind::kInvalidKey);
  const auto zero = derive_trust_state_mac_key(seed_of(0));
  ASSERT_FALSE(zero.has_value());
  EXPECT_EQ(zero.error().kind, CryptoErrorKind::kInvalidKey);
}

TEST(SubkeyTest, PrintsRedacted) {
  const auto key = derive_trust_state_mac_key(seed_of(3));
  ASSERT_TRUE(key.has_value());
  std::ostringstream out;
  out << *key;
  EXPECT_EQ(out.str(), "<redacted>");
}

}  // namespace
}  // namespace rustynet::crypto
