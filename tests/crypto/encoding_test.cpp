// SPDX-License-Identifier: Apache-2.0
// Base64/hex: round trips, tunnel-key compatibility, strict rejection of malformed text.
#include "rustynet/crypto/encoding.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace rustynet::crypto {
namespace {

std::vector<std::uint8_t> bytes_of(std::string_view text) { return {text.begin(), text.end()}; }

TEST(EncodingTest, Rfc4648Base64Vectors) {
  EXPECT_EQ(base64_encode(bytes_of("")), "");
  EXPECT_EQ(base64_encode(bytes_of("f")), "Zg==");
  EXPECT_EQ(base64_encode(bytes_of("fo")), "Zm8=");
  EXPECT_EQ(base64_encode(bytes_of("foo")), "Zm9v");
  EXPECT_EQ(base64_encode(bytes_of("foob")), "Zm9vYg==");
  EXPECT_EQ(base64_encode(bytes_of("fooba")), "Zm9vYmE=");
  EXPECT_EQ(base64_encode(bytes_of("foobar")), "Zm9vYmFy");
  auto decoded = base64_decode("Zm9vYmE=");
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(*decoded, bytes_of("fooba"));
}

TEST(EncodingTest, Base64RoundTripsEveryLength) {
  for (std::size_t length = 0; length < 70; ++length) {
    std::vector<std::uint8_t> data(length);
    for (std::size_t i = 0; i < length; ++i) {
      data[i] = static_cast<std::uint8_t>(i * 37U + length);
    }
    auto decoded = base64_decode(base64_encode(data));
    ASSERT_TRUE(decoded.has_value()) << length;
    EXPECT_EQ(*decoded, data);
    auto secret = base64_decode_secret(base64_encode(data));
    ASSERT_TRUE(secret.has_value());
    EXPECT_TRUE(std::equal(secret->view().begin(), secret->view().end(), data.begin(), data.end()));
  }
}

TEST(EncodingTest, ThirtyTwoByteKeysAreFortyFourCharacters) {
  std::vector<std::uint8_t> key(32, 0xff);
  const std::string text = base64_encode(key);
  EXPECT_EQ(text.size(), 44U);
  EXPECT_EQ(text, "//////////////////////////////////////////8=");
}

TEST(EncodingTest, Base64RejectsMalformedText) {
  for (const char* bad : {"Zg", "Zg=", "Zm9v\n", " Zm9v", "Zm9v ", "Zm9v====", "Zh==", "Zm9v!A==", "Zm-v", "Zm_v",
                          "Zg==Zg==", "=", "Zm9vY", "Zm8"}) {
    auto decoded = base64_decode(bad);
    ASSERT_FALSE(decoded.has_value()) << bad;
    EXPECT_EQ(decoded.error().kind, CryptoErrorKind::kInvalidEncoding);
    EXPECT_EQ(decoded.error().message.find(bad), std::string::npos);
    EXPECT_FALSE(base64_decode_secret(bad).has_value()) << bad;
  }
}

TEST(EncodingTest, HexRoundTripAndCase) {
  const std::vector<std::uint8_t> data{0x00, 0x01, 0xab, 0xcd, 0xef, 0xff};
  EXPECT_EQ(hex_encode(data), "0001abcdefff");
  auto lower = hex_decode("0001abcdefff");
  ASSERT_TRUE(lower.has_value());
  EXPECT_EQ(*lower, data);
  auto upper = hex_decode("0001ABCDEFFF");
  ASSERT_TRUE(upper.has_value());
  EXPECT_EQ(*upper, data);
  auto empty = hex_decode("");
  ASSERT_TRUE(empty.has_value());
  EXPECT_TRUE(empty->empty());
}

TEST(EncodingTest, HexRejectsMalformedText) {
  for (const char* bad : {"0", "abc", "zz", "00 ", " 00", "0x00", "00:11", "g0"}) {
    auto decoded = hex_decode(bad);
    ASSERT_FALSE(decoded.has_value()) << bad;
    EXPECT_EQ(decoded.error().kind, CryptoErrorKind::kInvalidEncoding);
    EXPECT_FALSE(hex_decode_secret(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace rustynet::crypto
