// SPDX-License-Identifier: Apache-2.0
// TunnelStats: the read side of the contract — per-peer counters plus the state now in effect.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <vector>

#include "rustynet/backend_api/exit_mode.hpp"
#include "rustynet/backend_api/ip_prefix.hpp"
#include "rustynet/backend_api/node_id.hpp"
#include "rustynet/backend_api/peer_config.hpp"
#include "rustynet/backend_api/route.hpp"
#include "rustynet/backend_api/socket_endpoint.hpp"

namespace rustynet::backend_api {

struct PeerStats {
  NodeId node_id;
  // The configuration in effect, read back from the backend (not echoed from the caller's copy
  // where the backend can read it back). allowed_prefixes sorted and de-duplicated.
  PeerPublicKey public_key;
  // Current endpoint: the configured one, or one learned from traffic by a roaming backend.
  std::optional<SocketEndpoint> endpoint;
  std::vector<IpPrefix> allowed_prefixes;
  std::optional<std::uint16_t> persistent_keepalive_seconds;
  // Counters since this peer was (last) added with its current public key.
  std::uint64_t rx_bytes = 0;
  std::uint64_t tx_bytes = 0;
  // Absent until a session was established with the peer.
  std::optional<std::int64_t> last_handshake_unix_seconds;

  friend bool operator==(const PeerStats&, const PeerStats&) = default;
};

// Everything a caller (and the contract suite) can observe about a running backend. It is the
// only read path: the suite compares it against its model, so a backend must report what is
// really in effect, not what it was asked for.
struct TunnelStats {
  std::vector<PeerStats> peers;  // sorted by node_id, one entry per configured peer
  std::vector<Route> routes;     // the route set in effect, sorted by destination
  ExitMode exit_mode = ExitMode::off();
  std::uint64_t total_rx_bytes = 0;  // sum over `peers`
  std::uint64_t total_tx_bytes = 0;  // sum over `peers`
};

std::ostream& operator<<(std::ostream& out, const TunnelStats& stats);

}  // namespace rustynet::backend_api
