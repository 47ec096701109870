// SPDX-License-Identifier: Apache-2.0
// NodeFilterPlan: per peer address pair, the flows one node's packet filter must let start.
#pragma once

#include <string>
#include <vector>

#include "rustynet/base/result.hpp"
#include "rustynet/policy/compiled_policy.hpp"
#include "rustynet/policy/flow_space.hpp"
#include "rustynet/policy/ip_prefix.hpp"
#include "rustynet/policy/node_state.hpp"
#include "rustynet/policy/policy_error.hpp"

namespace rustynet::policy {

// The flows allowed between one peer address and one of this node's addresses (same family), in
// one direction: for an inbound entry the peer starts them (its address is the source, `space`
// holds destination ports on this node); for an outbound entry this node starts them.
struct FilterEntry {
  std::string peer;  // the peer's node id
  IpAddress peer_address;
  IpAddress local_address;
  FlowSpace space;  // never empty
  friend bool operator==(const FilterEntry&, const FilterEntry&) = default;
};

// Both directions of one node's filter. Each list is sorted by (peer, peer_address,
// local_address) with no two entries for the same triple.
struct NodeFilterPlan {
  std::vector<FilterEntry> inbound;
  std::vector<FilterEntry> outbound;
  friend bool operator==(const NodeFilterPlan&, const NodeFilterPlan&) = default;
};

// For node `state.node_id` and every address a of every peer P in `state.peers`, paired with
// every own address b in `state.addresses` of a's family:
//   inbound  = policy.flow_space({P.node_id, a}, {state.node_id, b})
//   outbound = policy.flow_space({state.node_id, b}, {P.node_id, a})
// entries whose space is empty are omitted. IPv4 and IPv6 addresses are never paired. Exact per
// the flow_space() contract, so a filter installed from the plan agrees with evaluate() for every
// flow between tunnel addresses. `policy` must be compiled against inventory_of(state) (as the
// daemon does) for tag selectors to see the state's tags. Cost: 2 flow_space() calls per address
// pair. Errors: kUnknownNode when state.node_id is not in the policy's inventory.
[[nodiscard]] base::Result<NodeFilterPlan, PolicyError> plan_node_filter(const CompiledPolicy& policy,
                                                                         const NodeState& state);

}  // namespace rustynet::policy
