// SPDX-License-Identifier: Apache-2.0
// plan_node_filter: one node's inbound and outbound flow spaces, per peer address pair.
#include "rustynet/policy/node_filter.hpp"

#include <algorithm>
#include <tuple>
#include <utility>

namespace rustynet::policy {
namespace {

bool entry_less(const FilterEntry& a, const FilterEntry& b) {
  return std::tie(a.peer, a.peer_address, a.local_address) < std::tie(b.peer, b.peer_address, b.local_address);
}

bool same_key(const FilterEntry& a, const FilterEntry& b) {
  return a.peer == b.peer && a.peer_address == b.peer_address && a.local_address == b.local_address;
}

// Entries with the same key have the same space (it is a function of the key), so dropping the
// repeats loses nothing; they arise only from an unvalidated state listing a peer or an address twice.
void sort_unique(std::vector<FilterEntry>& entries) {
  std::sort(entries.begin(), entries.end(), entry_less);
  entries.erase(std::unique(entries.begin(), entries.end(), same_key), entries.end());
}

}  // namespace

base::Result<NodeFilterPlan, PolicyError> plan_node_filter(const CompiledPolicy& policy, const NodeState& state) {
  if (!policy.in_inventory(state.node_id)) {
    return base::unexpected(PolicyError{PolicyErrorKind::kUnknownNode, "node_id",
                                        "node \"" + state.node_id + "\" is not in the policy's inventory"});
  }
  NodeFilterPlan plan;
  for (const auto& peer : state.peers) {
    for (const auto& peer_address : peer.addresses) {
      for (const auto& local_address : state.addresses) {
        if (peer_address.family() != local_address.family()) {
          continue;
        }
        const FlowEndpoint remote{peer.node_id, peer_address};
        const FlowEndpoint local{state.node_id, local_address};
        FlowSpace inbound = policy.flow_space(remote, local);
        if (!inbound.empty()) {
          plan.inbound.push_back(FilterEntry{peer.node_id, peer_address, local_address, std::move(inbound)});
        }
        FlowSpace outbound = policy.flow_space(local, remote);
        if (!outbound.empty()) {
          plan.outbound.push_back(FilterEntry{peer.node_id, peer_address, local_address, std::move(outbound)});
        }
      }
    }
  }
  sort_unique(plan.inbound);
  sort_unique(plan.outbound);
  return plan;
}

}  // namespace rustynet::policy
