// SPDX-License-Identifier: Apache-2.0
// Key hierarchy: purposes, their algorithms and public-half derivation agree with the key types.
#include "rustynet/crypto/key_hierarchy.hpp"

#include <gtest/gtest.h>

#include "rustynet/crypto/ed25519.hpp"
#include "rustynet/crypto/x25519.hpp"

namespace rustynet::crypto {
namespace {

TEST(KeyHierarchyTest, PurposesHaveStableNamesBytesAndAlgorithms) {
  EXPECT_EQ(to_string(KeyPurpose::kNodeIdentity), "node-identity");
  EXPECT_EQ(to_string(KeyPurpose::kNodeTunnel), "node-tunnel");
  EXPECT_EQ(to_string(KeyPurpose::kControlSigning), "control-signing");
  for (KeyPurpose purpose : {KeyPurpose::kNodeIdentity, KeyPurpose::kNodeTunnel, KeyPurpose::kControlSigning}) {
    EXPECT_EQ(parse_key_purpose(to_string(purpose)), purpose);
    EXPECT_EQ(key_purpose_from_byte(static_cast<std::uint8_t>(purpose)), purpose);
  }
  EXPECT_EQ(static_cast<int>(KeyPurpose::kNodeIdentity), 1);
  EXPECT_EQ(static_cast<int>(KeyPurpose::kNodeTunnel), 2);
  EXPECT_EQ(static_cast<int>(KeyPurpose::kControlSigning), 3);
  EXPECT_FALSE(parse_key_purpose("relay-credential").has_value());
  EXPECT_FALSE(key_purpose_from_byte(0).has_value());
  EXPECT_FALSE(key_purpose_from_byte(4).has_value());
  EXPECT_EQ(algorithm_for(KeyPurpose::kNodeIdentity), KeyAlgorithm::kEd25519);
  EXPECT_EQ(algorithm_for(KeyPurpose::kNodeTunnel), KeyAlgorithm::kX25519);
  EXPECT_EQ(algorithm_for(KeyPurpose::kControlSigning), KeyAlgorithm::kEd25519);
}

TEST(KeyHierarchyTest, PublicInfoMatchesKeyTypes) {
  auto pair = NodeKeyPair::generate();
  ASSERT_TRUE(pair.has_value());
  auto tunnel = public_info_for(KeyPurpose::kNodeTunnel, pair->secret_key().expose());
  ASSERT_TRUE(tunnel.has_value());
  EXPECT_EQ(tunnel->public_key_base64, pair->public_key().to_base64());
  EXPECT_EQ(tunnel->key_id, pair->key_id());

  auto signer = Ed25519SigningKey::generate();
  ASSERT_TRUE(signer.has_value());
  const auto seed = signer->export_seed();
  for (KeyPurpose purpose : {KeyPurpose::kNodeIdentity, KeyPurpose::kControlSigning}) {
    auto info = public_info_for(purpose, seed.view());
    ASSERT_TRUE(info.has_value());
    EXPECT_EQ(info->public_key_base64, signer->public_key().to_base64());
    EXPECT_EQ(info->key_id, signer->key_id());
    EXPECT_EQ(info->purpose, purpose);
  }
  EXPECT_EQ(public_info_for(KeyPurpose::kNodeTunnel, std::vector<std::uint8_t>(31)).error().kind,
            CryptoErrorKind::kInvalidKey);
}

}  // namespace
}  // namespace rustynet::crypto
