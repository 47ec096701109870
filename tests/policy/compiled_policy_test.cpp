// SPDX-License-Identifier: Apache-2.0
// CompiledPolicy: precedence, default deny, selectors, ports, peer visibility, and the property
// that rule order never changes a decision (checked against a plain linear reference evaluator).
#include "rustynet/policy/compiled_policy.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>
#include <string>

#include "policy_test_support.hpp"

namespace rustynet::policy {
namespace {

using test_support::Generator;
using test_support::Reference;

IpAddress ip(const char* text) { return IpAddress::parse(text).value(); }

CompiledPolicy compile_text(const std::string& text, const NodeInventory& inventory) {
  auto document = parse_policy_document(text);
  EXPECT_TRUE(document.has_value()) << document.error().describe();
  auto compiled = CompiledPolicy::compile(document.value(), inventory);
  EXPECT_TRUE(compiled.has_value()) << compiled.error().describe();
  return std::move(compiled).value();
}

NodeInventory small_inventory() {
  NodeInventory inventory;
  inventory.nodes.push_back({"alice", {"laptop"}, {ip("100.64.0.1")}});
  inventory.nodes.push_back({"bob", {"laptop"}, {ip("100.64.0.2")}});
  inventory.nodes.push_back({"db1", {"db", "server"}, {ip("100.64.1.1"), ip("fd7a::1:1")}});
  inventory.nodes.push_back({"web1", {"web", "server"}, {ip("100.64.2.1")}});
  return inventory;
}

AccessRequest flow(const char* src, const char* src_ip, const char* dst, const char* dst_ip,
                   IpProtocol protocol = IpProtocol::kTcp, std::uint16_t port = 443) {
  AccessRequest request;
  request.src_node = src;
  if (src_ip != nullptr) {
    request.src_ip = ip(src_ip);
  }
  request.dst_node = dst;
  if (dst_ip != nullptr) {
    request.dst_ip = ip(dst_ip);
  }
  request.protocol = protocol;
  request.dst_port = port;
  return request;
}

TEST(CompiledPolicyTest, EmptyPolicyDeniesEverything) {
  const auto policy = compile_text(R"({"version": 1, "rules": []})", small_inventory());
  const auto decision = policy.evaluate(flow("alice", "100.64.0.1", "db1", "100.64.1.1"));
  EXPECT_FALSE(decision.allowed());
  EXPECT_EQ(decision.reason, DecisionReason::kDefaultDeny);
  EXPECT_TRUE(decision.rule_id.empty());
}

TEST(CompiledPolicyTest, DenyBeatsAllowRegardlessOfOrder) {
  const auto allow = R"({"id": "z-allow", "action": "allow", "src": ["tag:laptop"], "dst": ["tag:server"]})";
  const auto deny = R"({"id": "y-deny", "action": "deny", "src": ["node:alice"], "dst": ["tag:db"]})";
  for (const auto& rules : {std::string(allow) + "," + deny, std::string(deny) + "," + allow}) {
    const auto policy = compile_text(R"({"version": 1, "rules": [)" + rules + "]}", small_inventory());
    const auto denied = policy.evaluate(flow("alice", "100.64.0.1", "db1", "100.64.1.1"));
    EXPECT_FALSE(denied.allowed());
    EXPECT_EQ(denied.reason, DecisionReason::kMatchedDeny);
    EXPECT_EQ(denied.rule_id, "y-deny");
    const auto allowed = policy.evaluate(flow("bob", "100.64.0.2", "db1", "100.64.1.1"));
    EXPECT_TRUE(allowed.allowed());
    EXPECT_EQ(allowed.rule_id, "z-allow");
    const auto web = policy.evaluate(flow("alice", "100.64.0.1", "web1", "100.64.2.1"));
    EXPECT_TRUE(web.allowed());
  }
}

TEST(CompiledPolicyTest, SmallestRuleIdDecidesAmongEqualActions) {
  const auto policy = compile_text(R"({"version": 1, "rules": [
      {"id": "b", "action": "allow", "src": ["*"], "dst": ["tag:server"]},
      {"id": "a", "action": "allow", "src": ["tag:laptop"], "dst": ["*"]},
      {"id": "c", "action": "allow", "src": ["node:alice"], "dst": ["node:db1"]}]})",
                                   small_inventory());
  EXPECT_EQ(policy.evaluate(flow("alice", nullptr, "db1", nullptr)).rule_id, "a");
  EXPECT_EQ(policy.evaluate(flow("db1", nullptr, "web1", nullptr)).rule_id, "b");
}

TEST(CompiledPolicyTest, ProtocolsAndPorts) {
  const auto policy = compile_text(R"({"version": 1, "rules": [
      {"id": "ssh", "action": "allow", "src": ["tag:laptop"], "dst": ["tag:server"], "protocol": "tcp",
       "ports": ["22", "8000-8080"]},
      {"id": "dns", "action": "allow", "src": ["*"], "dst": ["node:db1"], "protocol": "udp", "ports": ["53"]},
      {"id": "ping", "action": "allow", "src": ["*"], "dst": ["*"], "protocol": "icmp"}]})",
                                   small_inventory());
  EXPECT_TRUE(policy.evaluate(flow("alice", nullptr, "web1", nullptr, IpProtocol::kTcp, 22)).allowed());
  EXPECT_TRUE(policy.evaluate(flow("alice", nullptr, "web1", nullptr, IpProtocol::kTcp, 8000)).allowed());
  EXPECT_TRUE(policy.evaluate(flow("alice", nullptr, "web1", nullptr, IpProtocol::kTcp, 8080)).allowed());
  EXPECT_FALSE(policy.evaluate(flow("alice", nullptr, "web1", nullptr, IpProtocol::kTcp, 8081)).allowed());
  EXPECT_FALSE(policy.evaluate(flow("alice", nullptr, "web1", nullptr, IpProtocol::kUdp, 22)).allowed());
  EXPECT_FALSE(policy.evaluate(flow("alice", nullptr, "web1", nullptr, IpProtocol::kTcp, 21)).allowed());
  EXPECT_TRUE(policy.evaluate(flow("web1", nullptr, "db1", nullptr, IpProtocol::kUdp, 53)).allowed());
  EXPECT_FALSE(policy.evaluate(flow("web1", nullptr, "db1", nullptr, IpProtocol::kTcp, 53)).allowed());
  EXPECT_TRUE(policy.evaluate(flow("web1", nullptr, "alice", nullptr, IpProtocol::kIcmp, 0)).allowed());
  EXPECT_FALSE(policy.evaluate(flow("web1", nullptr, "alice", nullptr, IpProtocol::kOther, 0)).allowed());
}

TEST(CompiledPolicyTest, PrefixSelectorsMatchAddresses) {
  const auto policy = compile_text(R"({"version": 1, "rules": [
      {"id": "lan", "action": "allow", "src": ["100.64.0.0/24"], "dst": ["192.168.1.0/24", "fd7a::/16"]},
      {"id": "hole", "action": "deny", "src": ["100.64.0.2"], "dst": ["192.168.1.128/25"]}]})",
                                   small_inventory());
  EXPECT_TRUE(policy.evaluate(flow("", "100.64.0.1", "", "192.168.1.200")).allowed());
  EXPECT_TRUE(policy.evaluate(flow("", "100.64.0.2", "", "192.168.1.5")).allowed());
  const auto hole = policy.evaluate(flow("", "100.64.0.2", "", "192.168.1.200"));
  EXPECT_FALSE(hole.allowed());
  EXPECT_EQ(hole.rule_id, "hole");
  EXPECT_TRUE(policy.evaluate(flow("", "100.64.0.9", "", "fd7a::5")).allowed());
  EXPECT_FALSE(policy.evaluate(flow("", "100.64.1.1", "", "192.168.1.5")).allowed());
  EXPECT_FALSE(policy.evaluate(flow("", nullptr, "", "192.168.1.5")).allowed());  // no source address
}

TEST(CompiledPolicyTest, UnauthenticatedOrUnknownNodesMatchNoIdentitySelector) {
  const auto policy = compile_text(R"({"version": 1, "groups": {"ops": ["alice", "ghost"]}, "rules": [
      {"id": "ops", "action": "allow", "src": ["group:ops"], "dst": ["tag:server"]}]})",
                                   small_inventory());
  EXPECT_TRUE(policy.evaluate(flow("alice", nullptr, "db1", nullptr)).allowed());
  EXPECT_TRUE(policy.evaluate(flow("ghost", nullptr, "db1", nullptr)).allowed());  // group member not (yet) enrolled
  EXPECT_FALSE(policy.evaluate(flow("bob", nullptr, "db1", nullptr)).allowed());
  EXPECT_FALSE(policy.evaluate(flow("", "100.64.0.1", "db1", nullptr)).allowed());
  EXPECT_FALSE(policy.evaluate(flow("mallory", nullptr, "db1", nullptr)).allowed());
}

TEST(CompiledPolicyTest, RejectsInvalidInventory) {
  NodeInventory inventory = small_inventory();
  inventory.nodes.push_back({"alice", {}, {}});
  auto document = parse_policy_document(R"({"version": 1, "rules": []})").value();
  auto compiled = CompiledPolicy::compile(document, inventory);
  ASSERT_FALSE(compiled.has_value());
  EXPECT_EQ(compiled.error().kind, PolicyErrorKind::kDuplicate);
  EXPECT_EQ(compiled.error().path, "inventory[4].id");
}

TEST(CompiledPolicyTest, VisibilityListsReachablePeersAndPrefixes) {
  const auto policy = compile_text(R"({"version": 1, "rules": [
      {"id": "laptops-to-servers", "action": "allow", "src": ["tag:laptop"], "dst": ["tag:server"]},
      {"id": "laptops-lan", "action": "allow", "src": ["tag:laptop"], "dst": ["192.168.1.0/24"]},
      {"id": "alice-ssh-only", "action": "deny", "src": ["node:alice"], "dst": ["node:web1"], "protocol": "tcp",
       "ports": ["23"]},
      {"id": "no-db-for-bob", "action": "deny", "src": ["node:bob"], "dst": ["tag:db"]},
      {"id": "servers-by-address", "action": "allow", "src": ["tag:server"], "dst": ["100.64.0.1"]}]})",
                                   small_inventory());
  auto alice = policy.visibility("alice");
  ASSERT_TRUE(alice.has_value());
  EXPECT_EQ(alice->peers, (std::vector<std::string>{"db1", "web1"}));  // partial deny keeps web1 visible
  ASSERT_EQ(alice->prefixes.size(), 1U);
  EXPECT_EQ(alice->prefixes[0].to_string(), "192.168.1.0/24");
  auto bob = policy.visibility("bob");
  ASSERT_TRUE(bob.has_value());
  EXPECT_EQ(bob->peers, (std::vector<std::string>{"web1"}));  // identity-wide deny hides db1
  auto db = policy.visibility("db1");
  ASSERT_TRUE(db.has_value());
  EXPECT_EQ(db->peers, (std::vector<std::string>{"alice"}));  // reached through its address
  EXPECT_EQ(db->prefixes.size(), 1U);
  auto unknown = policy.visibility("nobody");
  ASSERT_FALSE(unknown.has_value());
  EXPECT_EQ(unknown.error().kind, PolicyErrorKind::kUnknownNode);
}

TEST(CompiledPolicyTest, VisibilityNeverListsSelf) {
  const auto policy = compile_text(
      R"({"version": 1, "rules": [{"id": "all", "action": "allow", "src": ["*"], "dst": ["*"]}]})", small_inventory());
  auto alice = policy.visibility("alice");
  ASSERT_TRUE(alice.has_value());
  EXPECT_EQ(alice->peers, (std::vector<std::string>{"bob", "db1", "web1"}));
}

// ---- property test -------------------------------------------------------------------------

TEST(CompiledPolicyPropertyTest, RuleOrderNeverChangesDecisionsAndMatchesReference) {
  std::size_t allows = 0;
  std::size_t denies = 0;
  std::size_t defaults = 0;
  for (std::uint32_t seed = 1; seed <= 40; ++seed) {
    Generator gen(seed);
    const NodeInventory inventory = gen.inventory();
    const PolicyDocument document = gen.document(10 + gen.pick(60));
    auto compiled = CompiledPolicy::compile(document, inventory);
    ASSERT_TRUE(compiled.has_value()) << compiled.error().describe();
    std::vector<CompiledPolicy> shuffled;
    for (int k = 0; k < 3; ++k) {
      PolicyDocument copy = document;
      std::shuffle(copy.rules.begin(), copy.rules.end(), gen.rng());
      auto again = CompiledPolicy::compile(copy, inventory);
      ASSERT_TRUE(again.has_value());
      shuffled.push_back(std::move(again).value());
    }
    const Reference reference{document, inventory};
    for (int i = 0; i < 500; ++i) {
      const AccessRequest request = gen.request();
      const Decision expected = reference.evaluate(request);
      const Decision actual = compiled->evaluate(request);
      ASSERT_EQ(actual, expected) << "seed " << seed << " request " << i;
      for (const auto& other : shuffled) {
        ASSERT_EQ(other.evaluate(request), actual) << "seed " << seed << " request " << i;
      }
      (actual.reason == DecisionReason::kMatchedAllow  ? allows
       : actual.reason == DecisionReason::kMatchedDeny ? denies
                                                       : defaults)++;
    }
    // Visibility is order-independent too.
    for (const auto& node : inventory.nodes) {
      const auto expected = compiled->visibility(node.id);
      ASSERT_TRUE(expected.has_value());
      for (const auto& other : shuffled) {
        ASSERT_EQ(other.visibility(node.id).value(), expected.value());
      }
    }
  }
  // The generator must exercise every outcome, or the property proves little.
  EXPECT_GT(allows, 1000U);
  EXPECT_GT(denies, 1000U);
  EXPECT_GT(defaults, 1000U);
}

TEST(CompiledPolicyPropertyTest, VisibilityIsSoundForIdentityFlows) {
  // Every peer reachable by some allowed flow (found by brute force over identity requests) is
  // listed; visibility may list more (it over-approximates), never less.
  for (std::uint32_t seed = 100; seed < 108; ++seed) {
    Generator gen(seed);
    const NodeInventory inventory = gen.inventory();
    const PolicyDocument document = gen.document(30);
    const auto compiled = CompiledPolicy::compile(document, inventory).value();
    for (const auto& a : inventory.nodes) {
      const auto visible = compiled.visibility(a.id).value();
      const std::set<std::string> listed(visible.peers.begin(), visible.peers.end());
      for (const auto& b : inventory.nodes) {
        if (a.id == b.id) {
          continue;
        }
        bool reachable = false;
        for (const auto protocol : {IpProtocol::kTcp, IpProtocol::kUdp, IpProtocol::kIcmp, IpProtocol::kOther}) {
          const std::uint16_t ports = protocol == IpProtocol::kTcp || protocol == IpProtocol::kUdp ? 130 : 1;
          for (std::uint16_t port = 0; port < ports && !reachable; ++port) {
            AccessRequest request{a.id, a.addresses[0], b.id, b.addresses[0], protocol, port};
            reachable = compiled.evaluate(request).allowed();
          }
        }
        if (reachable) {
          EXPECT_TRUE(listed.count(b.id) == 1) << "seed " << seed << ": " << a.id << " -> " << b.id;
        }
      }
    }
  }
}

}  // namespace
}  // namespace rustynet::policy
