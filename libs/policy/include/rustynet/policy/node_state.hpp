// SPDX-License-Identifier: Apache-2.0
// NodeState: the per-node state payload (netmap) the control plane signs: peers, routes, policy digest.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rustynet/base/result.hpp"
#include "rustynet/policy/ip_prefix.hpp"
#include "rustynet/policy/node_inventory.hpp"
#include "rustynet/policy/policy_error.hpp"

namespace rustynet::policy {

// An IP address and UDP port where a peer can be reached.
struct SocketAddress {
  IpAddress address;
  std::uint16_t port = 0;  // 1-65535

  // "203.0.113.5:4500" or "[2001:db8::1]:4500" (brackets required for IPv6).
  [[nodiscard]] static base::Result<SocketAddress, std::string> parse(std::string_view text);
  [[nodiscard]] std::string to_string() const;
  friend auto operator<=>(const SocketAddress&, const SocketAddress&) = default;
};

using TunnelPublicKey = std::array<std::uint8_t, 32>;  // opaque to policy; the backend interprets it
using Digest32 = std::array<std::uint8_t, 32>;

// The relay a peer pair goes through when control marked it relayed, or may fall back to when a
// direct handshake fails (docs/relay.md "Node side", "Automatic relay"). Both nodes of the pair
// receive the same relay for each other.
struct RelayAssignment {
  std::string relay_id;   // identifier (1-128 of [A-Za-z0-9._-], alphanumeric first): the tickets' subject
  SocketAddress address;  // where the relay listens
  friend bool operator==(const RelayAssignment&, const RelayAssignment&) = default;
};

struct PeerState {
  std::string node_id;
  std::vector<std::string> tags;     // control-plane assigned, for tag selectors
  std::vector<IpAddress> addresses;  // the peer's own tunnel addresses
  TunnelPublicKey tunnel_public_key{};
  std::vector<SocketAddress> endpoints;
  std::vector<IpPrefix> allowed_prefixes;  // source addresses accepted from this peer
  // Set when traffic with this peer must go through a relay (encoded as "relay" only when set,
  // so states without it keep their exact bytes).
  std::optional<RelayAssignment> relay;
  // Set when control allows this pair to use a relay on the node's own decision (no direct
  // handshake within a bounded time); control issues tickets for such pairs. Exclusive with
  // `relay` (a marked pair is always relayed). Encoded as "relay_candidate" only when set.
  std::optional<RelayAssignment> relay_candidate;
  friend bool operator==(const PeerState&, const PeerState&) = default;
};

struct RouteState {
  IpPrefix prefix;
  std::string via;  // node id of a listed peer
  friend bool operator==(const RouteState&, const RouteState&) = default;
};

// Everything one node needs to configure its tunnel, as one unit: applied all-or-nothing.
struct NodeState {
  std::string node_id;               // the node this state is for
  std::vector<std::string> tags;     // this node's tags
  std::vector<IpAddress> addresses;  // this node's tunnel addresses
  Digest32 policy_digest{};          // SHA-256 of the exact policy document bytes in force with this state
  std::vector<PeerState> peers;
  std::vector<RouteState> routes;
  friend bool operator==(const NodeState&, const NodeState&) = default;
};

inline constexpr std::int64_t kNodeStateVersion = 1;
inline constexpr std::size_t kMaxNodeStateBytes = 8U << 20U;
inline constexpr std::size_t kMaxPeers = 65536;
inline constexpr std::size_t kMaxEndpointsPerPeer = 16;
inline constexpr std::size_t kMaxPrefixesPerPeer = 1024;
inline constexpr std::size_t kMaxRoutes = 65536;
inline constexpr std::size_t kMaxAddressesPerNode = 16;

// Strict JSON, version 1 (docs/signed-state.md). Rejects: unknown fields or versions, duplicate
// keys, trailing bytes, oversize input, malformed keys/prefixes/endpoints, a peer equal to the
// node itself, duplicate peers or tunnel keys, duplicate route prefixes, routes via unknown peers,
// a peer with both `relay` and `relay_candidate`.
[[nodiscard]] base::Result<NodeState, PolicyError> parse_node_state(std::string_view text);

// The same semantic checks for a state built in code.
[[nodiscard]] base::Status<PolicyError> validate_node_state(const NodeState& state);

// Deterministic JSON encoding (sorted keys, no whitespace) that parse_node_state accepts. Signers
// sign these exact bytes; verifiers never re-encode.
[[nodiscard]] base::Result<std::string, PolicyError> encode_node_state(const NodeState& state);

// The policy inventory this state implies: the node itself plus every peer, with their tags and
// tunnel addresses. Compile the policy snapshot against it on the node.
[[nodiscard]] NodeInventory inventory_of(const NodeState& state);

// Lowercase hex of 32 bytes, and its strict inverse (exactly 64 lowercase hex digits).
[[nodiscard]] std::string to_hex32(const std::array<std::uint8_t, 32>& bytes);
[[nodiscard]] base::Result<std::array<std::uint8_t, 32>, std::string> from_hex32(std::string_view text);

}  // namespace rustynet::policy
