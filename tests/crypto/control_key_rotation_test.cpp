// SPDX-License-Identifier: Apache-2.0
// Control signing-key rotation trust rule: chained, double-signed, in order, time-gated.
#include "rustynet/crypto/control_key_rotation.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace rustynet::crypto {
namespace {

Ed25519SigningKey new_key() {
  auto key = Ed25519SigningKey::generate();
  if (!key.has_value()) {
    std::abort();
  }
  return std::move(key).value();
}

TEST(ControlKeyRotationTest, AcceptsAChainOfRotations) {
  const Ed25519SigningKey k0 = new_key();
  const Ed25519SigningKey k1 = new_key();
  const Ed25519SigningKey k2 = new_key();
  TrustedControlKey trusted{k0.public_key(), 0};
  const base::UnixTime now{1800000000};

  auto r1 = sign_control_key_rotation({k0.public_key(), k1.public_key(), 1, now}, k0, k1);
  ASSERT_TRUE(r1.has_value());
  auto t1 = accept_control_key_rotation(trusted, *r1, now);
  ASSERT_TRUE(t1.has_value()) << t1.error();
  EXPECT_EQ(t1->key, k1.public_key());
  EXPECT_EQ(t1->sequence, 1U);

  auto r2 = sign_control_key_rotation({k1.public_key(), k2.public_key(), 2, now}, k1, k2);
  ASSERT_TRUE(r2.has_value());
  auto t2 = accept_control_key_rotation(*t1, *r2, now);
  ASSERT_TRUE(t2.has_value());
  EXPECT_EQ(t2->key, k2.public_key());

  // Replaying the first rotation against the new trust fails; so does skipping a hop.
  EXPECT_FALSE(accept_control_key_rotation(*t2, *r1, now).has_value());
  EXPECT_FALSE(accept_control_key_rotation(trusted, *r2, now).has_value());
}

TEST(ControlKeyRotationTest, RefusesEveryBrokenStatement) {
  const Ed25519SigningKey k0 = new_key();
  const Ed25519SigningKey k1 = new_key();
  const Ed25519SigningKey attacker = new_key();
  const TrustedControlKey trusted{k0.public_key(), 4};
  const base::UnixTime now{1800000000};
  auto good = sign_control_key_rotation({k0.public_key(), k1.public_key(), 5, now}, k0, k1);
  ASSERT_TRUE(good.has_value());
  ASSERT_TRUE(accept_control_key_rotation(trusted, *good, now).has_value());

  // Not yet valid: just before not_before.
  EXPECT_EQ(accept_control_key_rotation(trusted, *good, base::UnixTime{now.seconds - 1}).error().kind,
            CryptoErrorKind::kInvalidArgument);
  // Wrong sequence numbers.
  for (std::uint64_t sequence : {std::uint64_t{4}, std::uint64_t{6}, std::uint64_t{0}}) {
    auto statement = sign_control_key_rotation({k0.public_key(), k1.public_key(), sequence, now}, k0, k1);
    ASSERT_TRUE(statement.has_value());
    EXPECT_FALSE(accept_control_key_rotation(trusted, *statement, now).has_value()) << sequence;
  }
  // Signed by an attacker instead of the trusted key.
  auto hijack = sign_control_key_rotation({attacker.public_key(), k1.public_key(), 5, now}, attacker, k1);
  ASSERT_TRUE(hijack.has_value());
  EXPECT_EQ(accept_control_key_rotation(trusted, *hijack, now).error().kind, CryptoErrorKind::kVerifyFailed);
  // Trusted key signs, but the new key's proof of possession is forged.
  auto forged = *good;
  forged.by_next = attacker.sign(control_key_rotation_bytes(good->rotation));
  EXPECT_EQ(accept_control_key_rotation(trusted, forged, now).error().kind, CryptoErrorKind::kVerifyFailed);
  // Any tampered field breaks the signatures.
  auto tampered = *good;
  tampered.rotation.not_before = base::UnixTime{now.seconds - 1000};
  EXPECT_EQ(accept_control_key_rotation(trusted, tampered, now).error().kind, CryptoErrorKind::kVerifyFailed);
  auto swapped = *good;
  swapped.rotation.next = attacker.public_key();
  EXPECT_EQ(accept_control_key_rotation(trusted, swapped, now).error().kind, CryptoErrorKind::kVerifyFailed);
  for (std::size_t i = 0; i < good->by_previous.size(); ++i) {
    auto flipped = *good;
    flipped.by_previous[i] = static_cast<std::uint8_t>(flipped.by_previous[i] ^ 1U);
    EXPECT_FALSE(accept_control_key_rotation(trusted, flipped, now).has_value());
  }
  // A rotation onto the same key, and mismatched signing keys, are refused at signing time.
  EXPECT_FALSE(sign_control_key_rotation({k0.public_key(), k0.public_key(), 5, now}, k0, k0).has_value());
  EXPECT_FALSE(sign_control_key_rotation({k0.public_key(), k1.public_key(), 5, now}, attacker, k1).has_value());
}

TEST(ControlKeyRotationTest, CanonicalBytesAreStable) {
  const Ed25519SigningKey k0 = new_key();
  const Ed25519SigningKey k1 = new_key();
  const auto bytes = control_key_rotation_bytes({k0.public_key(), k1.public_key(), 0x0102, base::UnixTime{0x0304}});
  ASSERT_EQ(bytes.size(), 32U + 1U + 32U + 32U + 8U + 8U);
  EXPECT_EQ(bytes[32], 0);
  EXPECT_EQ(bytes[bytes.size() - 9], 0x02);
  EXPECT_EQ(bytes[bytes.size() - 10], 0x01);
  EXPECT_EQ(bytes[bytes.size() - 1], 0x04);
  EXPECT_EQ(bytes[bytes.size() - 2], 0x03);
}

}  // namespace
}  // namespace rustynet::crypto
