// SPDX-License-Identifier: Apache-2.0
// NodeId grammar: case folding, charset, length limits; invalid ids cannot be constructed.
#include "rustynet/backend_api/node_id.hpp"

#include <gtest/gtest.h>

#include <string>

namespace rustynet::backend_api {
namespace {

TEST(NodeIdTest, CanonicalisesAsciiCase) {
  const auto id = NodeId::parse("Laptop-01_Home");
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(id->value(), "laptop-01_home");
  EXPECT_EQ(NodeId::parse("NODE").value(), NodeId::parse("node").value());
}

TEST(NodeIdTest, AcceptsTheGrammarsEdges) {
  EXPECT_TRUE(NodeId::parse("a").has_value());
  EXPECT_TRUE(NodeId::parse("0").has_value());
  EXPECT_TRUE(NodeId::parse("a-").has_value());
  EXPECT_TRUE(NodeId::parse(std::string(NodeId::kMaxLength, 'x')).has_value());
}

TEST(NodeIdTest, RejectsMalformedInput) {
  const char* const kBad[] = {"",    " a",   "a ",          "-a",      "_a",   "a.b", "a/b",
                              "a:b", "a\tb", "caf\xc3\xa9", "node id", "\xff", "@"};
  for (const char* text : kBad) {
    const auto id = NodeId::parse(text);
    ASSERT_FALSE(id.has_value()) << "accepted '" << text << "'";
    EXPECT_EQ(id.error().kind, BackendErrorKind::kInvalidInput);
  }
  const auto embedded_nul = NodeId::parse(std::string_view("a\0b", 3));
  EXPECT_FALSE(embedded_nul.has_value());
  EXPECT_FALSE(NodeId::parse(std::string(NodeId::kMaxLength + 1, 'x')).has_value());
}

TEST(NodeIdTest, ErrorMessagesDoNotEchoUnboundedInput) {
  const std::string huge(100000, 'x');
  const auto id = NodeId::parse(huge);
  ASSERT_FALSE(id.has_value());
  EXPECT_LT(id.error().message.size(), 200U);
}

TEST(NodeIdTest, OrdersByCanonicalValue) {
  EXPECT_LT(NodeId::parse("Alpha").value(), NodeId::parse("beta").value());
  EXPECT_EQ(testing::PrintToString(NodeId::parse("Zed").value()), "zed");
}

}  // namespace
}  // namespace rustynet::backend_api
