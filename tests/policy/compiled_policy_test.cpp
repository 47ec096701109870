// SPDX-License-Identifier: Apache-2.0
// CompiledPolicy: precedence, default deny, selectors, ports, peer visibility, and the property
// that rule order never changes a decision (checked against a plain linear reference evaluator).
#include "rustynet/policy/compiled_policy.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>
#include <string>

namespace rustynet::policy {
namespace {

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

// The specification of evaluation, written as the simplest possible linear scan.
struct Reference {
  const PolicyDocument& document;
  const NodeInventory& inventory;

  bool node_has(const std::string& node, SelectorKind kind, const std::string& name) const {
    if (node.empty()) {
      return false;
    }
    if (kind == SelectorKind::kNode) {
      return node == name;
    }
    if (kind == SelectorKind::kGroup) {
      const auto& members = document.groups.at(name);
      return std::find(members.begin(), members.end(), node) != members.end();
    }
    for (const auto& record : inventory.nodes) {
      if (record.id == node) {
        return std::find(record.tags.begin(), record.tags.end(), name) != record.tags.end();
      }
    }
    return false;
  }

  bool matches(const Selector& selector, const std::string& node, const std::optional<IpAddress>& address) const {
    switch (selector.kind) {
      case SelectorKind::kAny: return true;
      case SelectorKind::kPrefix: return address.has_value() && selector.prefix.contains(*address);
      default: return node_has(node, selector.kind, selector.name);
    }
  }

  Decision evaluate(const AccessRequest& request) const {
    const PolicyRule* best_allow = nullptr;
    const PolicyRule* best_deny = nullptr;
    for (const auto& rule : document.rules) {
      const bool src = std::any_of(rule.src.begin(), rule.src.end(),
                                   [&](const Selector& s) { return matches(s, request.src_node, request.src_ip); });
      const bool dst = std::any_of(rule.dst.begin(), rule.dst.end(),
                                   [&](const Selector& s) { return matches(s, request.dst_node, request.dst_ip); });
      bool protocol = rule.protocol == Protocol::kAny;
      protocol = protocol || (rule.protocol == Protocol::kTcp && request.protocol == IpProtocol::kTcp);
      protocol = protocol || (rule.protocol == Protocol::kUdp && request.protocol == IpProtocol::kUdp);
      protocol = protocol || (rule.protocol == Protocol::kIcmp && request.protocol == IpProtocol::kIcmp);
      const bool port = rule.ports.empty() || std::any_of(rule.ports.begin(), rule.ports.end(), [&](PortRange r) {
                          return request.dst_port >= r.first && request.dst_port <= r.last;
                        });
      if (!(src && dst && protocol && port)) {
        continue;
      }
      auto& best = rule.action == RuleAction::kDeny ? best_deny : best_allow;
      if (best == nullptr || rule.id < best->id) {
        best = &rule;
      }
    }
    if (best_deny != nullptr) {
      return Decision{Verdict::kDeny, DecisionReason::kMatchedDeny, best_deny->id};
    }
    if (best_allow != nullptr) {
      return Decision{Verdict::kAllow, DecisionReason::kMatchedAllow, best_allow->id};
    }
    return Decision::default_deny();
  }
};

class Generator {
 public:
  explicit Generator(std::uint32_t seed) : rng_(seed) {}

  std::size_t pick(std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_); }
  bool chance(double p) { return std::bernoulli_distribution(p)(rng_); }

  IpAddress address() {
    // A small space so prefixes and addresses collide often.
    if (chance(0.2)) {
      return IpAddress::v6(0xfd7a000000000000ULL, pick(8));
    }
    return IpAddress::v4(static_cast<std::uint32_t>(0x0A000000U | (pick(4) << 8U) | pick(8)));
  }

  NodeInventory inventory() {
    NodeInventory out;
    for (std::size_t n = 0; n < 12; ++n) {
      NodeRecord node{"n" + std::to_string(n), {}, {}};
      for (std::size_t t = 0; t < 4; ++t) {
        if (chance(0.3)) {
          node.tags.push_back("t" + std::to_string(t));
        }
      }
      node.addresses.push_back(address());
      out.nodes.push_back(std::move(node));
    }
    return out;
  }

  Selector selector() {
    switch (pick(6)) {
      case 0: return Selector{SelectorKind::kAny, {}, {}};
      case 1: return Selector{SelectorKind::kNode, "n" + std::to_string(pick(14)), {}};
      case 2: return Selector{SelectorKind::kTag, "t" + std::to_string(pick(5)), {}};
      case 3: return Selector{SelectorKind::kGroup, "g" + std::to_string(pick(3)), {}};
      default: {
        const IpAddress a = address();
        const unsigned max = a.max_prefix_length();
        const unsigned length = static_cast<unsigned>(max - pick(12));
        return Selector{SelectorKind::kPrefix, {}, IpPrefix::create(mask_address(a, length), length).value()};
      }
    }
  }

  std::vector<Selector> selectors() {
    std::vector<Selector> out;
    const std::size_t count = 1 + pick(3);
    while (out.size() < count) {
      auto s = selector();
      if (std::find(out.begin(), out.end(), s) == out.end()) {
        out.push_back(std::move(s));
      }
    }
    return out;
  }

  PolicyDocument document(std::size_t rules) {
    PolicyDocument out;
    for (std::size_t g = 0; g < 3; ++g) {
      auto& members = out.groups["g" + std::to_string(g)];
      for (std::size_t n = 0; n < 14; ++n) {
        if (chance(0.25)) {
          members.push_back("n" + std::to_string(n));
        }
      }
    }
    for (std::size_t r = 0; r < rules; ++r) {
      PolicyRule rule;
      rule.id = "r" + std::to_string(pick(1000000)) + "-" + std::to_string(r);
      rule.action = chance(0.3) ? RuleAction::kDeny : RuleAction::kAllow;
      rule.src = selectors();
      rule.dst = selectors();
      rule.protocol = static_cast<Protocol>(pick(4));
      if ((rule.protocol == Protocol::kTcp || rule.protocol == Protocol::kUdp) && chance(0.6)) {
        for (std::size_t i = 0; i <= pick(2); ++i) {
          const auto first = static_cast<std::uint16_t>(pick(100));
          rule.ports.push_back(PortRange{first, static_cast<std::uint16_t>(first + pick(20))});
        }
      }
      out.rules.push_back(std::move(rule));
    }
    return out;
  }

  AccessRequest request() {
    AccessRequest out;
    if (chance(0.9)) {
      out.src_node = "n" + std::to_string(pick(15));  // n12..n14 unknown to the inventory
    }
    if (chance(0.9)) {
      out.src_ip = address();
    }
    if (chance(0.9)) {
      out.dst_node = "n" + std::to_string(pick(15));
    }
    if (chance(0.9)) {
      out.dst_ip = address();
    }
    out.protocol = static_cast<IpProtocol>(pick(4));
    out.dst_port = static_cast<std::uint16_t>(pick(130));
    return out;
  }

  std::mt19937& rng() { return rng_; }

 private:
  std::mt19937 rng_;
};

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
