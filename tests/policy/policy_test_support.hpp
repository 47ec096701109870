// SPDX-License-Identifier: Apache-2.0
// Shared by the policy tests: a linear reference evaluator, a random policy generator, printers.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <ostream>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "rustynet/policy/access_request.hpp"
#include "rustynet/policy/decision.hpp"
#include "rustynet/policy/flow_space.hpp"
#include "rustynet/policy/ip_prefix.hpp"
#include "rustynet/policy/node_inventory.hpp"
#include "rustynet/policy/policy_rule.hpp"

namespace rustynet::policy {

// gtest finds this by argument-dependent lookup; keeps failure messages readable.
inline void PrintTo(const FlowSpace& space, std::ostream* out) { *out << to_string(space); }

}  // namespace rustynet::policy

namespace rustynet::policy::test_support {

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
          rule.ports.push_back(wide_ports_ ? wide_port_range() : narrow_port_range());
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

  // Port ranges anywhere in 0-65535, with endpoints often at edges (0, 65535) and well-known
  // ports, instead of the default small ranges below 120. Off by default so that existing tests
  // keep generating exactly the same policies.
  void use_wide_ports() { wide_ports_ = true; }

  std::mt19937& rng() { return rng_; }

 private:
  PortRange narrow_port_range() {
    const auto first = static_cast<std::uint16_t>(pick(100));
    return PortRange{first, static_cast<std::uint16_t>(first + pick(20))};
  }

  PortRange wide_port_range() {
    static constexpr std::array<std::uint16_t, 10> kEdges = {0, 1, 22, 53, 80, 443, 1024, 8080, 65534, 65535};
    auto point = [&] { return chance(0.5) ? kEdges[pick(kEdges.size())] : static_cast<std::uint16_t>(pick(65536)); };
    std::uint16_t first = point();
    std::uint16_t last = chance(0.3) ? first : point();
    if (first > last) {
      std::swap(first, last);
    }
    return PortRange{first, last};
  }

  std::mt19937 rng_;
  bool wide_ports_ = false;
};

}  // namespace rustynet::policy::test_support
