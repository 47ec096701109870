// SPDX-License-Identifier: Apache-2.0
// Translation between the generic tunnel contract (backend_api) and the WireGuard device model.
// Shared by every driver: both the kernel and the userspace driver consume WgDeviceUpdate.
#pragma once

#include <optional>
#include <vector>

#include "rtnl.hpp"
#include "rustynet/backend_api/interface_address.hpp"
#include "rustynet/backend_api/ip_prefix.hpp"
#include "rustynet/backend_api/peer_config.hpp"
#include "rustynet/backend_api/socket_endpoint.hpp"
#include "rustynet/backend_api/tunnel_stats.hpp"
#include "wg_model.hpp"

namespace rustynet::backend_wireguard {

[[nodiscard]] WgPublicKey to_wg_key(const backend_api::PeerPublicKey& key);
[[nodiscard]] WgAddress to_wg_address(const backend_api::IpAddress& address);
[[nodiscard]] WgAllowedIp to_wg_allowed_ip(const backend_api::IpPrefix& prefix);
[[nodiscard]] WgEndpoint to_wg_endpoint(const backend_api::SocketEndpoint& endpoint);
[[nodiscard]] NetPrefix to_net_prefix(const backend_api::IpPrefix& prefix);
[[nodiscard]] NetPrefix to_net_prefix(const backend_api::InterfaceAddress& address);

[[nodiscard]] backend_api::IpAddress from_wg_address(const WgAddress& address);
// nullopt if the device reports something the contract cannot express (host bits, port 0).
[[nodiscard]] std::optional<backend_api::IpPrefix> from_wg_allowed_ip(const WgAllowedIp& allowed_ip);
[[nodiscard]] std::optional<backend_api::SocketEndpoint> from_wg_endpoint(const WgEndpoint& endpoint);

// The complete configuration of one peer as a per-peer update (replace_allowed_ips, keepalive 0 when
// absent). Never touches other peers.
[[nodiscard]] WgPeerUpdate full_peer_update(const backend_api::PeerConfig& peer);
[[nodiscard]] WgPeerUpdate peer_removal(const backend_api::PeerPublicKey& key);

// The per-peer updates that turn `current` (nullptr: not configured) into `desired`:
//  - new peer: one full update;
//  - same configuration: nothing;
//  - new public key: remove the old key, add the new one (it is a different WireGuard peer);
//  - endpoint cleared: remove and re-add (UAPI and netlink cannot unset an endpoint);
//  - otherwise: one update of that peer (update_only; allowed IPs replaced only if they changed),
//    which keeps its session.
[[nodiscard]] std::vector<WgPeerUpdate> peer_changes(const backend_api::PeerConfig& desired,
                                                     const backend_api::PeerConfig* current);

// Read-back of one device peer, attributed to `node_id`.
[[nodiscard]] backend_api::PeerStats peer_stats_from_device(const backend_api::NodeId& node_id,
                                                            const WgPeerState& state);

}  // namespace rustynet::backend_wireguard
