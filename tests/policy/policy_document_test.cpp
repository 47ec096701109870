// SPDX-License-Identifier: Apache-2.0
// Policy documents: strict JSON, versioning and every negative case reported with its JSON path.
#include <gtest/gtest.h>

#include <string>

#include "rustynet/policy/policy_rule.hpp"

namespace rustynet::policy {
namespace {

constexpr const char* kValid = R"({
  "version": 1,
  "groups": {"admins": ["alice-laptop", "bob-laptop"]},
  "rules": [
    {"id": "ssh", "action": "allow", "src": ["group:admins"], "dst": ["tag:servers"], "protocol": "tcp",
     "ports": ["22", "8000-8080"]},
    {"id": "no-db", "action": "deny", "src": ["*"], "dst": ["10.9.0.0/16", "fd00::/8"]},
    {"id": "ping", "action": "allow", "src": ["node:alice-laptop"], "dst": ["*"], "protocol": "icmp"}
  ]
})";

TEST(PolicyDocumentTest, ParsesValidDocument) {
  auto document = parse_policy_document(kValid);
  ASSERT_TRUE(document.has_value()) << document.error().describe();
  ASSERT_EQ(document->rules.size(), 3U);
  const auto& ssh = document->rules[0];
  EXPECT_EQ(ssh.id, "ssh");
  EXPECT_EQ(ssh.action, RuleAction::kAllow);
  EXPECT_EQ(ssh.protocol, Protocol::kTcp);
  ASSERT_EQ(ssh.ports.size(), 2U);
  EXPECT_EQ(ssh.ports[1], (PortRange{8000, 8080}));
  EXPECT_EQ(ssh.src[0].kind, SelectorKind::kGroup);
  EXPECT_EQ(ssh.dst[0].kind, SelectorKind::kTag);
  EXPECT_EQ(document->rules[1].dst[1].kind, SelectorKind::kPrefix);
  EXPECT_EQ(document->rules[1].dst[1].prefix.to_string(), "fd00::/8");
  EXPECT_EQ(document->rules[2].protocol, Protocol::kIcmp);
  EXPECT_EQ(document->groups.at("admins").size(), 2U);
}

struct BadCase {
  const char* name;
  std::string text;
  PolicyErrorKind kind;
  const char* path;
};

std::string rule_doc(const std::string& rule) { return R"({"version": 1, "rules": [)" + rule + "]}"; }

TEST(PolicyDocumentTest, RejectsInvalidDocumentsWithPath) {
  const std::string ok_rule = R"({"id": "a", "action": "allow", "src": ["*"], "dst": ["*"]})";
  const BadCase cases[] = {
      {"unknown version", R"({"version": 2, "rules": []})", PolicyErrorKind::kSchema, "$.version"},
      {"missing version", R"({"rules": []})", PolicyErrorKind::kSchema, "$.version"},
      {"unknown top field", R"({"version": 1, "rules": [], "extra": 1})", PolicyErrorKind::kSchema, "$.extra"},
      {"duplicate key", R"({"version": 1, "version": 1, "rules": []})", PolicyErrorKind::kSyntax, "$"},
      {"trailing bytes", R"({"version": 1, "rules": []} x)", PolicyErrorKind::kSyntax, "$"},
      {"unknown rule field", rule_doc(R"({"id": "a", "action": "allow", "src": ["*"], "dst": ["*"], "prio": 1})"),
       PolicyErrorKind::kSchema, "$.rules[0].prio"},
      {"duplicate rule id", rule_doc(ok_rule + "," + ok_rule), PolicyErrorKind::kDuplicate, "$.rules[1].id"},
      {"malformed prefix", rule_doc(R"({"id": "a", "action": "allow", "src": ["10.0.0.1/8"], "dst": ["*"]})"),
       PolicyErrorKind::kInvalidValue, "$.rules[0].src[0]"},
      {"bad prefix length", rule_doc(R"({"id": "a", "action": "allow", "src": ["*"], "dst": ["*", "10.0.0.0/40"]})"),
       PolicyErrorKind::kInvalidValue, "$.rules[0].dst[1]"},
      {"empty src", rule_doc(R"({"id": "a", "action": "allow", "src": [], "dst": ["*"]})"),
       PolicyErrorKind::kInvalidValue, "$.rules[0].src"},
      {"empty dst", rule_doc(R"({"id": "a", "action": "allow", "src": ["*"], "dst": []})"),
       PolicyErrorKind::kInvalidValue, "$.rules[0].dst"},
      {"empty selector string", rule_doc(R"({"id": "a", "action": "allow", "src": [""], "dst": ["*"]})"),
       PolicyErrorKind::kInvalidValue, "$.rules[0].src[0]"},
      {"empty tag name", rule_doc(R"({"id": "a", "action": "allow", "src": ["tag:"], "dst": ["*"]})"),
       PolicyErrorKind::kInvalidValue, "$.rules[0].src[0]"},
      {"injection in name", rule_doc(R"({"id": "a", "action": "allow", "src": ["node:a\nb"], "dst": ["*"]})"),
       PolicyErrorKind::kInvalidValue, "$.rules[0].src[0]"},
      {"duplicate selector", rule_doc(R"({"id": "a", "action": "allow", "src": ["tag:x", "tag:x"], "dst": ["*"]})"),
       PolicyErrorKind::kDuplicate, "$.rules[0].src[1]"},
      {"unknown group", rule_doc(R"({"id": "a", "action": "allow", "src": ["group:ops"], "dst": ["*"]})"),
       PolicyErrorKind::kUnknownReference, "$.rules[0].src[0]"},
      {"bad action", rule_doc(R"({"id": "a", "action": "permit", "src": ["*"], "dst": ["*"]})"),
       PolicyErrorKind::kInvalidValue, "$.rules[0].action"},
      {"bad protocol", rule_doc(R"({"id": "a", "action": "allow", "src": ["*"], "dst": ["*"], "protocol": "sctp"})"),
       PolicyErrorKind::kInvalidValue, "$.rules[0].protocol"},
      {"ports without tcp/udp",
       rule_doc(R"({"id": "a", "action": "allow", "src": ["*"], "dst": ["*"], "ports": ["22"]})"),
       PolicyErrorKind::kInvalidValue, "$.rules[0].ports"},
      {"reversed ports",
       rule_doc(R"({"id": "a", "action": "allow", "src": ["*"], "dst": ["*"], "protocol": "tcp", "ports": ["9-1"]})"),
       PolicyErrorKind::kInvalidValue, "$.rules[0].ports[0]"},
      {"port too big",
       rule_doc(R"({"id": "a", "action": "allow", "src": ["*"], "dst": ["*"], "protocol": "tcp", "ports": ["65536"]})"),
       PolicyErrorKind::kInvalidValue, "$.rules[0].ports[0]"},
      {"numeric port",
       rule_doc(R"({"id": "a", "action": "allow", "src": ["*"], "dst": ["*"], "protocol": "udp", "ports": [53]})"),
       PolicyErrorKind::kSchema, "$.rules[0].ports[0]"},
      {"empty ports",
       rule_doc(R"({"id": "a", "action": "allow", "src": ["*"], "dst": ["*"], "protocol": "udp", "ports": []})"),
       PolicyErrorKind::kInvalidValue, "$.rules[0].ports"},
      {"bad rule id", rule_doc(R"({"id": "-a", "action": "allow", "src": ["*"], "dst": ["*"]})"),
       PolicyErrorKind::kInvalidValue, "$.rules[0].id"},
      {"rules not array", R"({"version": 1, "rules": {}})", PolicyErrorKind::kSchema, "$.rules"},
      {"group member not string", R"({"version": 1, "groups": {"g": [1]}, "rules": []})", PolicyErrorKind::kSchema,
       "$.groups.g[0]"},
      {"duplicate group member", R"({"version": 1, "groups": {"g": ["a", "a"]}, "rules": []})",
       PolicyErrorKind::kDuplicate, "$.groups.g[1]"},
      {"bad group name", R"({"version": 1, "groups": {"g g": ["a"]}, "rules": []})", PolicyErrorKind::kInvalidValue,
       "$.groups.g g"},
  };
  for (const auto& c : cases) {
    auto result = parse_policy_document(c.text);
    ASSERT_FALSE(result.has_value()) << c.name;
    EXPECT_EQ(result.error().kind, c.kind) << c.name << ": " << result.error().describe();
    EXPECT_EQ(result.error().path, c.path) << c.name << ": " << result.error().describe();
    EXPECT_FALSE(result.error().message.empty()) << c.name;
  }
}

TEST(PolicyDocumentTest, RejectsOversizeInput) {
  std::string huge = R"({"version": 1, "rules": [], "pad": ")";
  huge.append(kMaxPolicyBytes, 'x');
  huge += "\"}";
  auto result = parse_policy_document(huge);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().kind, PolicyErrorKind::kSyntax);
}

TEST(PolicyDocumentTest, ValidatesDocumentsBuiltInCode) {
  PolicyDocument document;
  document.rules.push_back(PolicyRule{"r", RuleAction::kAllow, {Selector{SelectorKind::kAny, {}, {}}}, {}, {}, {}});
  auto status = validate_policy_document(document);
  ASSERT_FALSE(status.has_value());
  EXPECT_EQ(status.error().path, "$.rules[0].dst");
}

TEST(PolicyDocumentTest, SelectorRoundTrip) {
  for (const char* text : {"*", "node:n1", "tag:web", "group:ops", "10.0.0.0/8", "2001:db8::/32"}) {
    auto selector = Selector::parse(text);
    ASSERT_TRUE(selector.has_value()) << text;
    EXPECT_EQ(selector->to_string(), text);
  }
  EXPECT_FALSE(Selector::parse("host:x").has_value());
  EXPECT_FALSE(Selector::parse("node:a:b").has_value());
}

}  // namespace
}  // namespace rustynet::policy
