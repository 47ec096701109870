// SPDX-License-Identifier: Apache-2.0
// The node, its peers and the two policy contents the filter benchmark alternates between.
#pragma once

#include <cstddef>
#include <string>

#include "rustynet/policy/node_state.hpp"
#include "rustynet/policy/policy_rule.hpp"

namespace rustynet::bench::filter {

// Node `self` of `inventory` holding every other node as a peer, as the daemon holds a signed
// NodeState: tags, tunnel addresses and distinct (fake) tunnel keys. Peers with nothing allowed
// cost the filter nothing (empty flow spaces are omitted), so this equals "the peers control lets
// it see" for the filter's size. Precondition: self < inventory.nodes.size().
[[nodiscard]] policy::NodeState node_state_of(const policy::NodeInventory& inventory, std::size_t self);

// The second content of the A/B alternation: the same document without every 20th rule, so two
// consecutive applies never install the same sets.
[[nodiscard]] policy::PolicyDocument thinned(const policy::PolicyDocument& document);

// A small policy change: the document plus one allow rule, a copy of its first allow rule with
// protocol tcp and port 60001 only (a port no workload rule uses), so the filter gains a few elements.
[[nodiscard]] policy::PolicyDocument with_one_more_rule(const policy::PolicyDocument& document);

// The document as version-1 JSON (docs/policy.md) that parse_policy_document accepts: the daemon
// receives the policy as text and parses it before compiling.
[[nodiscard]] std::string encode_policy(const policy::PolicyDocument& document);

}  // namespace rustynet::bench::filter
