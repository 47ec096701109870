// SPDX-License-Identifier: Apache-2.0
// Synthetic but realistically shaped policies, inventories and requests for the policy benchmarks.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "rustynet/policy/access_request.hpp"
#include "rustynet/policy/node_inventory.hpp"
#include "rustynet/policy/policy_rule.hpp"

namespace rustynet::bench {

struct Workload {
  policy::NodeInventory inventory;
  policy::PolicyDocument document;
  std::vector<policy::AccessRequest> requests;
};

inline policy::IpAddress node_address(std::size_t index) {
  return policy::IpAddress::v4(static_cast<std::uint32_t>(0x64400000U + index));  // 100.64.0.0/10
}

// `nodes` nodes with 2 of nodes/10 tags each, nodes/40 groups of 20, `rules` rules mixing tag,
// group, node and prefix selectors, tcp/udp port ranges and ~10% deny rules.
inline Workload make_workload(std::size_t rules, std::size_t nodes, std::size_t requests = 4096) {
  std::mt19937_64 rng(42);
  auto pick = [&](std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng); };
  const std::size_t tags = std::max<std::size_t>(nodes / 10, 4);
  const std::size_t groups = std::max<std::size_t>(nodes / 40, 2);
  Workload w;
  for (std::size_t n = 0; n < nodes; ++n) {
    policy::NodeRecord node{"node-" + std::to_string(n), {}, {node_address(n)}};
    const std::size_t a = pick(tags);
    const std::size_t b = (a + 1 + pick(tags - 1)) % tags;
    node.tags = {"tag-" + std::to_string(a), "tag-" + std::to_string(b)};
    w.inventory.nodes.push_back(std::move(node));
  }
  for (std::size_t g = 0; g < groups; ++g) {
    auto& members = w.document.groups["group-" + std::to_string(g)];
    for (std::size_t i = 0; i < 20; ++i) {
      const std::string id = "node-" + std::to_string(pick(nodes));
      if (std::find(members.begin(), members.end(), id) == members.end()) {
        members.push_back(id);
      }
    }
  }
  auto selector = [&](bool src) {
    const std::size_t roll = pick(100);
    using policy::Selector;
    using policy::SelectorKind;
    if (roll < 50) {
      return Selector{SelectorKind::kTag, "tag-" + std::to_string(pick(tags)), {}};
    }
    if (roll < 70 && src) {
      return Selector{SelectorKind::kGroup, "group-" + std::to_string(pick(groups)), {}};
    }
    if (roll < 90) {
      return Selector{SelectorKind::kNode, "node-" + std::to_string(pick(nodes)), {}};
    }
    const unsigned length = src ? 24U : (pick(2) == 0 ? 24U : 28U);
    const auto address = policy::mask_address(node_address(pick(nodes)), length);
    return Selector{SelectorKind::kPrefix, {}, policy::IpPrefix::create(address, length).value()};
  };
  const std::uint16_t popular[] = {22, 53, 80, 443, 3306, 5432, 6379, 8080, 9090, 9100};
  for (std::size_t r = 0; r < rules; ++r) {
    policy::PolicyRule rule;
    rule.id = "rule-" + std::to_string(r);
    rule.action = pick(10) == 0 ? policy::RuleAction::kDeny : policy::RuleAction::kAllow;
    rule.src = {selector(true)};
    rule.dst = {selector(false)};
    if (pick(4) == 0) {
      auto extra = selector(false);
      if (!(extra == rule.dst[0])) {
        rule.dst.push_back(std::move(extra));
      }
    }
    const std::size_t proto = pick(10);
    if (proto < 6) {
      rule.protocol = policy::Protocol::kTcp;
      rule.ports.push_back({popular[pick(10)], popular[pick(10)]});
      if (rule.ports[0].first > rule.ports[0].last) {
        std::swap(rule.ports[0].first, rule.ports[0].last);
      }
      if (pick(2) == 0) {
        const auto first = static_cast<std::uint16_t>(10000 + pick(1000));
        rule.ports.push_back({first, static_cast<std::uint16_t>(first + 100)});
      }
    } else if (proto < 8) {
      rule.protocol = policy::Protocol::kUdp;
      rule.ports.push_back({53, 53});
    } else {
      rule.protocol = pick(2) == 0 ? policy::Protocol::kAny : policy::Protocol::kIcmp;
    }
    w.document.rules.push_back(std::move(rule));
  }
  for (std::size_t i = 0; i < requests; ++i) {
    const std::size_t s = pick(nodes);
    const std::size_t d = pick(nodes);
    policy::AccessRequest request;
    request.src_node = "node-" + std::to_string(s);
    request.src_ip = node_address(s);
    request.dst_node = "node-" + std::to_string(d);
    request.dst_ip = node_address(d);
    request.protocol = pick(10) < 8 ? policy::IpProtocol::kTcp : policy::IpProtocol::kUdp;
    request.dst_port = popular[pick(10)];
    w.requests.push_back(std::move(request));
  }
  return w;
}

}  // namespace rustynet::bench
