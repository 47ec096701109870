// SPDX-License-Identifier: Apache-2.0
// Node state, A/B policy variants and the policy JSON of the filter benchmark.
#include "filter_workload.hpp"

#include <nlohmann/json.hpp>

namespace rustynet::bench::filter {

policy::NodeState node_state_of(const policy::NodeInventory& inventory, std::size_t self) {
  policy::NodeState state;
  const policy::NodeRecord& own = inventory.nodes.at(self);
  state.node_id = own.id;
  state.tags = own.tags;
  state.addresses = own.addresses;
  for (std::size_t n = 0; n < inventory.nodes.size(); ++n) {
    if (n == self) {
      continue;
    }
    const policy::NodeRecord& record = inventory.nodes[n];
    policy::PeerState peer;
    peer.node_id = record.id;
    peer.tags = record.tags;
    peer.addresses = record.addresses;
    for (std::size_t b = 0; b < peer.tunnel_public_key.size(); ++b) {
      peer.tunnel_public_key[b] = static_cast<std::uint8_t>((n >> (8U * (b % 4U))) + b);
    }
    for (const policy::IpAddress& address : record.addresses) {
      peer.allowed_prefixes.push_back(policy::IpPrefix::host(address));
    }
    state.peers.push_back(std::move(peer));
  }
  return state;
}

policy::PolicyDocument thinned(const policy::PolicyDocument& document) {
  policy::PolicyDocument out;
  out.groups = document.groups;
  for (std::size_t r = 0; r < document.rules.size(); ++r) {
    if (r % 20 != 19) {
      out.rules.push_back(document.rules[r]);
    }
  }
  return out;
}

policy::PolicyDocument with_one_more_rule(const policy::PolicyDocument& document) {
  policy::PolicyDocument out = document;
  for (const policy::PolicyRule& rule : document.rules) {
    if (rule.action == policy::RuleAction::kAllow) {
      policy::PolicyRule extra = rule;
      extra.id = "bench-one-more-rule";
      extra.protocol = policy::Protocol::kTcp;
      extra.ports = {policy::PortRange{60001, 60001}};
      out.rules.push_back(std::move(extra));
      break;
    }
  }
  return out;
}

std::string encode_policy(const policy::PolicyDocument& document) {
  nlohmann::json doc;
  doc["version"] = policy::kPolicyDocumentVersion;
  nlohmann::json groups = nlohmann::json::object();
  for (const auto& [name, members] : document.groups) {
    groups[name] = members;
  }
  doc["groups"] = std::move(groups);
  nlohmann::json rules = nlohmann::json::array();
  for (const policy::PolicyRule& rule : document.rules) {
    nlohmann::json out;
    out["id"] = rule.id;
    out["action"] = std::string(policy::to_string(rule.action));
    for (const char* side : {"src", "dst"}) {
      nlohmann::json selectors = nlohmann::json::array();
      for (const policy::Selector& selector : side[0] == 's' ? rule.src : rule.dst) {
        selectors.push_back(selector.to_string());
      }
      out[side] = std::move(selectors);
    }
    out["protocol"] = std::string(policy::to_string(rule.protocol));
    if (!rule.ports.empty()) {
      nlohmann::json ports = nlohmann::json::array();
      for (const policy::PortRange& range : rule.ports) {
        ports.push_back(range.first == range.last ? std::to_string(range.first)
                                                  : std::to_string(range.first) + "-" + std::to_string(range.last));
      }
      out["ports"] = std::move(ports);
    }
    rules.push_back(std::move(out));
  }
  doc["rules"] = std::move(rules);
  return doc.dump();
}

}  // namespace rustynet::bench::filter
