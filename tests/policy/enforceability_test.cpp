// SPDX-License-Identifier: Apache-2.0
// check_enforceable: destination prefixes are refused (no subnet routing); everything else passes,
// and parse/validate/compile keep accepting what it refuses.
#include "rustynet/policy/enforceability.hpp"

#include <gtest/gtest.h>

#include <string>

#include "rustynet/policy/compiled_policy.hpp"

namespace rustynet::policy {
namespace {

PolicyDocument parse(const std::string& rules) {
  auto document = parse_policy_document(R"({"version": 1, "groups": {"ops": ["alice"]}, "rules": [)" + rules + "]}");
  EXPECT_TRUE(document.has_value()) << document.error().describe();
  return std::move(document).value();
}

TEST(EnforceabilityTest, AcceptsIdentityDestinationsAndSourcePrefixes) {
  const auto document = parse(R"(
      {"id": "a", "action": "allow", "src": ["group:ops"], "dst": ["node:db1", "tag:server"]},
      {"id": "b", "action": "allow", "src": ["100.64.0.0/24", "fd7a::/16", "100.64.9.9"], "dst": ["group:ops"]},
      {"id": "c", "action": "deny", "src": ["*"], "dst": ["*"], "protocol": "udp"})");
  EXPECT_TRUE(check_enforceable(document).has_value());
  EXPECT_TRUE(check_enforceable(PolicyDocument{}).has_value());
}

TEST(EnforceabilityTest, RejectsDestinationPrefixWithPath) {
  const auto document = parse(R"(
      {"id": "fine", "action": "allow", "src": ["*"], "dst": ["tag:server"]},
      {"id": "lan", "action": "allow", "src": ["tag:laptop"], "dst": ["node:db1", "192.168.1.0/24"]},
      {"id": "later", "action": "allow", "src": ["*"], "dst": ["fd00::/8"]})");
  const auto status = check_enforceable(document);
  ASSERT_FALSE(status.has_value());
  EXPECT_EQ(status.error().kind, PolicyErrorKind::kUnenforceable);
  EXPECT_EQ(status.error().path, "$.rules[1].dst[1]");
  const std::string& message = status.error().message;
  EXPECT_NE(message.find("\"lan\""), std::string::npos) << message;
  EXPECT_NE(message.find("192.168.1.0/24"), std::string::npos) << message;
  EXPECT_NE(message.find("subnet routing"), std::string::npos) << message;
  EXPECT_NE(message.find("node:, tag:, group: or \"*\""), std::string::npos) << message;
  EXPECT_EQ(to_string(status.error().kind), "unenforceable");
}

TEST(EnforceabilityTest, RejectsBareAddressAndIpv6Destinations) {
  const auto bare = check_enforceable(parse(R"({"id": "one", "action": "deny", "src": ["*"], "dst": ["100.64.0.7"]})"));
  ASSERT_FALSE(bare.has_value());
  EXPECT_EQ(bare.error().path, "$.rules[0].dst[0]");
  const auto v6 =
      check_enforceable(parse(R"({"id": "six", "action": "allow", "src": ["*"], "dst": ["*", "fd00::/8"]})"));
  ASSERT_FALSE(v6.has_value());
  EXPECT_EQ(v6.error().path, "$.rules[0].dst[1]");
}

TEST(EnforceabilityTest, ParseValidateAndCompileStillAcceptDestinationPrefixes) {
  const auto document = parse(R"({"id": "lan", "action": "allow", "src": ["*"], "dst": ["192.168.1.0/24"]})");
  EXPECT_TRUE(validate_policy_document(document).has_value());
  EXPECT_TRUE(CompiledPolicy::compile(document, NodeInventory{}).has_value());
  EXPECT_FALSE(check_enforceable(document).has_value());
}

}  // namespace
}  // namespace rustynet::policy
