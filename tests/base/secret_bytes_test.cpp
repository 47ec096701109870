// SPDX-License-Identifier: Apache-2.0
// SecretBytes: wiped on move, compared by content, never printed.
#include "rustynet/base/secret_bytes.hpp"

#include <gtest/gtest.h>

#include <array>
#include <sstream>

namespace rustynet::base {
namespace {

TEST(SecretBytesTest, MoveLeavesSourceEmptyAndCompareIsByContent) {
  const std::array<std::uint8_t, 4> raw{1, 2, 3, 4};
  SecretBytes a(raw);
  SecretBytes copy = a.clone();
  EXPECT_TRUE(a == copy);
  SecretBytes b(std::move(a));
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move,clang-analyzer-cplusplus.Move)
  EXPECT_TRUE(b == copy);
  copy.mutable_view()[0] = 9;
  EXPECT_FALSE(b == copy);
  EXPECT_FALSE(b == SecretBytes(std::span<const std::uint8_t>(raw).first(3)));
}

TEST(SecretBytesTest, StreamsAsRedacted) {
  const std::array<std::uint8_t, 3> raw{0x41, 0x42, 0x43};
  const SecretBytes secret(raw);
  std::ostringstream out;
  out << secret;
  EXPECT_EQ(out.str(), "<redacted>");
}

TEST(SecretBytesTest, WipeClears) {
  SecretBytes secret(8);
  secret.mutable_view()[3] = 7;
  secret.wipe();
  EXPECT_TRUE(secret.empty());
}

}  // namespace
}  // namespace rustynet::base
