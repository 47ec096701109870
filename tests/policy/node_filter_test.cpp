// SPDX-License-Identifier: Apache-2.0
// plan_node_filter: entries per peer address pair and direction, order, families, and agreement
// with flow_space() on random node states.
#include "rustynet/policy/node_filter.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <tuple>
#include <vector>

#include "policy_test_support.hpp"

namespace rustynet::policy {
namespace {

using test_support::Generator;

IpAddress ip(const char* text) { return IpAddress::parse(text).value(); }

PeerState peer(const char* id, std::vector<std::string> tags, std::vector<IpAddress> addresses) {
  PeerState out;
  out.node_id = id;
  out.tags = std::move(tags);
  out.addresses = std::move(addresses);
  return out;
}

// db1 (tag db, one IPv4 and one IPv6 address) and three peers, listed out of order on purpose.
NodeState db1_state() {
  NodeState state;
  state.node_id = "db1";
  state.tags = {"db"};
  state.addresses = {ip("100.64.1.1"), ip("fd7a::1:1")};
  state.peers.push_back(peer("web1", {"web"}, {ip("100.64.2.1")}));
  state.peers.push_back(peer("bob", {"laptop"}, {ip("100.64.0.2")}));
  state.peers.push_back(peer("alice", {"laptop"}, {ip("fd7a::1"), ip("100.64.0.1")}));
  return state;
}

CompiledPolicy compile_for(const NodeState& state, const std::string& rules) {
  auto document = parse_policy_document(R"({"version": 1, "rules": [)" + rules + "]}");
  EXPECT_TRUE(document.has_value()) << document.error().describe();
  auto compiled = CompiledPolicy::compile(document.value(), inventory_of(state));
  EXPECT_TRUE(compiled.has_value()) << compiled.error().describe();
  return std::move(compiled).value();
}

constexpr const char* kRules = R"(
    {"id": "laptops-to-db", "action": "allow", "src": ["tag:laptop"], "dst": ["tag:db"], "protocol": "tcp",
     "ports": ["5432"]},
    {"id": "db-to-web", "action": "allow", "src": ["tag:db"], "dst": ["tag:web"], "protocol": "tcp", "ports": ["443"]},
    {"id": "ping-alice", "action": "allow", "src": ["node:alice"], "dst": ["node:db1"], "protocol": "icmp"},
    {"id": "quarantine", "action": "deny", "src": ["node:bob"], "dst": ["*"]})";

TEST(NodeFilterTest, PlansBothDirectionsPerAddressPair) {
  const NodeState state = db1_state();
  const auto policy = compile_for(state, kRules);
  const auto plan = plan_node_filter(policy, state);
  ASSERT_TRUE(plan.has_value()) << plan.error().describe();

  FlowSpace from_alice;
  from_alice.tcp = {{5432, 5432}};
  from_alice.icmp = true;
  FlowSpace to_web;
  to_web.tcp = {{443, 443}};
  // alice's IPv4 address sorts before its IPv6 one; bob is quarantined; web1 starts nothing.
  const std::vector<FilterEntry> inbound = {
      {"alice", ip("100.64.0.1"), ip("100.64.1.1"), from_alice},
      {"alice", ip("fd7a::1"), ip("fd7a::1:1"), from_alice},
  };
  const std::vector<FilterEntry> outbound = {{"web1", ip("100.64.2.1"), ip("100.64.1.1"), to_web}};
  EXPECT_EQ(plan->inbound, inbound);
  EXPECT_EQ(plan->outbound, outbound);
}

TEST(NodeFilterTest, NeverPairsIpv4WithIpv6) {
  NodeState state = db1_state();
  const auto policy = compile_for(state, R"({"id": "all", "action": "allow", "src": ["*"], "dst": ["*"]})");
  const auto plan = plan_node_filter(policy, state).value();
  // alice: 2 same-family pairs; bob and web1: 1 each (IPv4 only). Both directions.
  EXPECT_EQ(plan.inbound.size(), 4U);
  EXPECT_EQ(plan.outbound.size(), 4U);
  for (const auto* entries : {&plan.inbound, &plan.outbound}) {
    for (const auto& entry : *entries) {
      EXPECT_EQ(entry.peer_address.family(), entry.local_address.family()) << entry.peer;
      EXPECT_EQ(to_string(entry.space), "tcp 0-65535; udp 0-65535; icmp; other");
    }
  }
}

TEST(NodeFilterTest, OrderDoesNotDependOnStateOrder) {
  NodeState state = db1_state();
  const auto policy = compile_for(state, R"({"id": "all", "action": "allow", "src": ["*"], "dst": ["*"]})");
  const auto plan = plan_node_filter(policy, state).value();
  std::reverse(state.peers.begin(), state.peers.end());
  std::reverse(state.addresses.begin(), state.addresses.end());
  for (auto& p : state.peers) {
    std::reverse(p.addresses.begin(), p.addresses.end());
  }
  EXPECT_EQ(plan_node_filter(policy, state).value(), plan);
  const auto key = [](const FilterEntry& e) { return std::tie(e.peer, e.peer_address, e.local_address); };
  EXPECT_TRUE(std::is_sorted(plan.inbound.begin(), plan.inbound.end(),
                             [&](const FilterEntry& a, const FilterEntry& b) { return key(a) < key(b); }));
}

TEST(NodeFilterTest, EmptyPolicyPlansNothing) {
  const NodeState state = db1_state();
  const auto policy = compile_for(state, "");
  const auto plan = plan_node_filter(policy, state).value();
  EXPECT_TRUE(plan.inbound.empty());
  EXPECT_TRUE(plan.outbound.empty());
}

TEST(NodeFilterTest, UnknownNodeIsAnError) {
  const NodeState state = db1_state();
  const auto policy = compile_for(state, kRules);
  NodeState stranger = state;
  stranger.node_id = "stranger";
  const auto plan = plan_node_filter(policy, stranger);
  ASSERT_FALSE(plan.has_value());
  EXPECT_EQ(plan.error().kind, PolicyErrorKind::kUnknownNode);
  // A node only the policy names (not in the inventory) is unknown too.
  NodeState named = state;
  named.node_id = "alice-only-in-policy";
  const auto named_policy =
      compile_for(state, R"({"id": "x", "action": "allow", "src": ["node:alice-only-in-policy"], "dst": ["*"]})");
  EXPECT_FALSE(named_policy.in_inventory("alice-only-in-policy"));
  EXPECT_FALSE(plan_node_filter(named_policy, named).has_value());
}

// Random states: every same-family address pair has an entry exactly when its flow space is
// non-empty, and the entry holds that space.
TEST(NodeFilterPropertyTest, PlanIsFlowSpacePerAddressPair) {
  std::size_t entries = 0;
  for (std::uint32_t seed = 1; seed <= 15; ++seed) {
    Generator gen(seed + 7000);
    gen.use_wide_ports();
    const NodeInventory inventory = gen.inventory();
    NodeState state;
    for (std::size_t n = 0; n < inventory.nodes.size(); ++n) {
      const NodeRecord& node = inventory.nodes[n];
      std::vector<IpAddress> addresses = node.addresses;
      if (gen.chance(0.5)) {
        const IpAddress extra = gen.address();
        if (std::find(addresses.begin(), addresses.end(), extra) == addresses.end()) {
          addresses.push_back(extra);
        }
      }
      if (n == 0) {
        state.node_id = node.id;
        state.tags = node.tags;
        state.addresses = addresses;
      } else {
        state.peers.push_back(peer(node.id.c_str(), node.tags, addresses));
      }
    }
    const PolicyDocument document = gen.document(30);
    const auto policy = CompiledPolicy::compile(document, inventory_of(state)).value();
    const auto plan = plan_node_filter(policy, state).value();
    std::vector<FilterEntry> inbound;
    std::vector<FilterEntry> outbound;
    for (const auto& p : state.peers) {
      for (const auto& a : p.addresses) {
        for (const auto& b : state.addresses) {
          if (a.family() != b.family()) {
            continue;
          }
          const FlowEndpoint remote{p.node_id, a};
          const FlowEndpoint local{state.node_id, b};
          if (auto in = policy.flow_space(remote, local); !in.empty()) {
            inbound.push_back(FilterEntry{p.node_id, a, b, std::move(in)});
          }
          if (auto out = policy.flow_space(local, remote); !out.empty()) {
            outbound.push_back(FilterEntry{p.node_id, a, b, std::move(out)});
          }
        }
      }
    }
    const auto less = [](const FilterEntry& x, const FilterEntry& y) {
      return std::tie(x.peer, x.peer_address, x.local_address) < std::tie(y.peer, y.peer_address, y.local_address);
    };
    std::sort(inbound.begin(), inbound.end(), less);
    std::sort(outbound.begin(), outbound.end(), less);
    ASSERT_EQ(plan.inbound, inbound) << "seed " << seed;
    ASSERT_EQ(plan.outbound, outbound) << "seed " << seed;
    entries += inbound.size() + outbound.size();
  }
  EXPECT_GT(entries, 100U);
}

}  // namespace
}  // namespace rustynet::policy
