// SPDX-License-Identifier: Apache-2.0
// DesiredState: a verified NodeState translated into backend terms, and the diff between two of them.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "daemon_error.hpp"
#include "rustynet/backend_api/interface_address.hpp"
#include "rustynet/backend_api/packet_filter.hpp"
#include "rustynet/backend_api/peer_config.hpp"
#include "rustynet/backend_api/route.hpp"
#include "rustynet/policy/node_state.hpp"

namespace rustynet::apps::daemon {

// What the backend should have in effect. Routes are sorted by destination.
struct DesiredState {
  std::vector<backend_api::InterfaceAddress> addresses;  // host-length (/32, /128) tunnel addresses
  std::map<backend_api::NodeId, backend_api::PeerConfig> peers;
  std::vector<backend_api::Route> routes;
  // The packet filter of the mesh interface (filter_spec.hpp), canonical, generation 0: the
  // runtime stamps the generation it installs. Empty: every packet from the mesh is dropped.
  backend_api::FilterSpec filter;

  friend bool operator==(const DesiredState&, const DesiredState&) = default;
};

// Translates a (verified, parsed) node state. Each peer gets the first listed endpoint (control
// orders them by preference) and `keepalive_seconds` so that tunnels re-establish within a
// second of a restart. A route is kMesh when its prefix is one of the via peer's own addresses,
// kExitDefault for a default route, kLan otherwise. The filter is left empty (deny everything):
// filter_spec_from() computes it from the compiled policy. Errors: kRejected (a value the backend
// types cannot represent, e.g. a node id or prefix outside their grammar).
[[nodiscard]] DaemonResult<DesiredState> desired_state_from(const policy::NodeState& state,
                                                            std::uint16_t keepalive_seconds);

// What apply() must do to go from `from` to `to`.
struct StateDiff {
  std::vector<backend_api::NodeId> removed;               // peers in `from` only
  std::vector<backend_api::PeerConfig> added_or_changed;  // new peers, or PeerConfig differs
  std::vector<backend_api::Route> kept_routes;            // routes in both (safe while removing)
  bool routes_changed = false;
  bool addresses_changed = false;

  [[nodiscard]] bool empty() const noexcept {
    return removed.empty() && added_or_changed.empty() && !routes_changed && !addresses_changed;
  }
};

[[nodiscard]] StateDiff diff_states(const DesiredState& from, const DesiredState& to);

}  // namespace rustynet::apps::daemon
