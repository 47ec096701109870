// SPDX-License-Identifier: Apache-2.0
// A blob that authenticates but names another key id is refused: only someone holding the
// envelope key can build one, so the test seals it by hand with libsodium.
#include <sodium.h>
#include <sys/stat.h>

#include <gtest/gtest.h>

#include <array>
#include <string>
#include <vector>

#include "custody_test_util.hpp"
#include "rustynet/crypto/custody_file.hpp"
#include "temp_dir.hpp"

namespace rustynet::crypto {
namespace {

constexpr std::size_t kHeaderSize = 79;
constexpr std::size_t kSaltOffset = 20;
constexpr std::size_t kNonceOffset = 37;
constexpr std::size_t kKeyIdOffset = 61;

TEST(CustodyKeyIdTest, AuthenticBlobNamingAnotherKeyIsRefused) {
  rustynet::testing::TempDir temp;
  const std::string dir = temp.file("keys");
  ASSERT_EQ(::mkdir(dir.c_str(), 0700), 0);
  const std::string secret_text = "correct horse battery staple";
  auto custody = EncryptedFileCustody::open(dir, testing::operator_secret(secret_text), testing::fast_options());
  ASSERT_TRUE(custody.has_value());
  auto real = NodeKeyPair::generate();
  auto other = NodeKeyPair::generate();
  ASSERT_TRUE(real.has_value() && other.has_value());
  ASSERT_TRUE(store_node_key_pair(**custody, *real).has_value());

  const std::string path = (*custody)->path_for(KeyPurpose::kNodeTunnel);
  auto blob = testing::read_bytes(path);
  ASSERT_EQ(blob.size(), kHeaderSize + 48);

  // Re-derive the envelope key exactly as the store does (fast test parameters).
  std::array<std::uint8_t, 32> envelope{};
  ASSERT_EQ(crypto_pwhash(envelope.data(), envelope.size(), secret_text.data(), secret_text.size(),
                          blob.data() + kSaltOffset, 1, 8U * 1024U, crypto_pwhash_ALG_ARGON2ID13),
            0);

  // Sanity: resealing the unchanged header with the same plaintext loads fine.
  auto reseal = [&](const std::string& key_id) {
    std::vector<std::uint8_t> forged(blob.begin(), blob.begin() + kHeaderSize);
    std::copy(key_id.begin(), key_id.end(), forged.begin() + kKeyIdOffset);
    forged.resize(kHeaderSize + 48);
    unsigned long long length = 0;  // NOLINT(google-runtime-int): libsodium's type
    EXPECT_EQ(crypto_aead_xchacha20poly1305_ietf_encrypt(
                  forged.data() + kHeaderSize, &length, real->secret_key().expose().data(), 32, forged.data(),
                  kHeaderSize, nullptr, forged.data() + kNonceOffset, envelope.data()),
              0);
    testing::write_bytes(path, forged);
  };
  reseal(real->key_id());
  auto loaded = (*custody)->load(KeyPurpose::kNodeTunnel);
  ASSERT_TRUE(loaded.has_value()) << loaded.error();
  EXPECT_EQ(loaded->key_id, real->key_id());

  reseal(other->key_id());
  auto refused = (*custody)->load(KeyPurpose::kNodeTunnel);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().kind, CustodyErrorKind::kKeyIdMismatch);
}

}  // namespace
}  // namespace rustynet::crypto
