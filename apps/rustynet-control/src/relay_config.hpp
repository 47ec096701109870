// SPDX-License-Identifier: Apache-2.0
// RelaySite: a relay the control plane knows and the nodes behind it (config "relays", docs/relay.md).
#pragma once

#include <string>
#include <vector>

#include "rustynet/policy/node_state.hpp"

namespace rustynet::apps::control_server {

// One configured relay. Every pair involving a node listed in `nodes` goes through a relay
// (marked: the signed state carries `relay`); when both nodes of a pair are behind (different)
// relays, the relay of the node with the smaller id is used, so both sides always agree.
// A pair that is not marked and involves a node listed in `candidate_nodes` may fall back to this
// relay when a direct handshake fails (the signed state carries `relay_candidate`; the daemon
// decides, control issues the tickets); the same smaller-id rule picks one site.
// A node appears in at most one list of one site.
struct RelaySite {
  std::string relay_id;                      // identifier, the tickets' subject (the relay's own `relay_id`)
  policy::SocketAddress address;             // where nodes reach the relay
  std::vector<std::string> nodes;            // node ids (1-64 characters: the ticket limit): always relayed
  std::vector<std::string> candidate_nodes;  // node ids: relayed when direct fails
};

inline constexpr std::size_t kMaxRelaySites = 64;
inline constexpr std::size_t kMaxNodesPerRelaySite = 65536;

}  // namespace rustynet::apps::control_server
