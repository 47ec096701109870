// SPDX-License-Identifier: Apache-2.0
// Generic contract <-> WireGuard device model.
#include "translate.hpp"

#include <algorithm>

namespace rustynet::backend_wireguard {

namespace api = backend_api;

WgPublicKey to_wg_key(const api::PeerPublicKey& key) {
  WgPublicKey out;
  std::copy(key.bytes.begin(), key.bytes.end(), out.bytes.begin());
  return out;
}

WgAddress to_wg_address(const api::IpAddress& address) {
  WgAddress out;
  out.is_v6 = address.is_v6();
  const auto bytes = address.bytes();
  std::copy(bytes.begin(), bytes.end(), out.bytes.begin());
  return out;
}

WgAllowedIp to_wg_allowed_ip(const api::IpPrefix& prefix) {
  return WgAllowedIp{.address = to_wg_address(prefix.address()), .cidr = prefix.length()};
}

WgEndpoint to_wg_endpoint(const api::SocketEndpoint& endpoint) {
  return WgEndpoint{.address = to_wg_address(endpoint.address()), .port = endpoint.port()};
}

NetPrefix to_net_prefix(const api::IpPrefix& prefix) {
  return NetPrefix{.address = to_wg_address(prefix.address()), .length = prefix.length()};
}

NetPrefix to_net_prefix(const api::InterfaceAddress& address) {
  return NetPrefix{.address = to_wg_address(address.address()), .length = address.length()};
}

api::IpAddress from_wg_address(const WgAddress& address) {
  if (address.is_v6) {
    return api::IpAddress::v6(address.bytes);
  }
  return api::IpAddress::v4({address.bytes[0], address.bytes[1], address.bytes[2], address.bytes[3]});
}

std::optional<api::IpPrefix> from_wg_allowed_ip(const WgAllowedIp& allowed_ip) {
  auto prefix = api::IpPrefix::create(from_wg_address(allowed_ip.address), allowed_ip.cidr);
  if (!prefix.has_value()) {
    return std::nullopt;
  }
  return prefix.value();
}

std::optional<api::SocketEndpoint> from_wg_endpoint(const WgEndpoint& endpoint) {
  auto out = api::SocketEndpoint::create(from_wg_address(endpoint.address), endpoint.port);
  if (!out.has_value()) {
    return std::nullopt;
  }
  return out.value();
}

WgPeerUpdate full_peer_update(const api::PeerConfig& peer) {
  WgPeerUpdate update;
  update.public_key = to_wg_key(peer.public_key);
  if (peer.endpoint.has_value()) {
    update.endpoint = to_wg_endpoint(*peer.endpoint);
  }
  update.persistent_keepalive_seconds = peer.persistent_keepalive_seconds.value_or(0);
  update.replace_allowed_ips = true;
  for (const api::IpPrefix& prefix : api::canonical_prefixes(peer.allowed_prefixes)) {
    update.allowed_ips.push_back(to_wg_allowed_ip(prefix));
  }
  return update;
}

WgPeerUpdate peer_removal(const api::PeerPublicKey& key) {
  WgPeerUpdate update;
  update.public_key = to_wg_key(key);
  update.remove = true;
  return update;
}

std::vector<WgPeerUpdate> peer_changes(const api::PeerConfig& desired, const api::PeerConfig* current) {
  if (current == nullptr) {
    return {full_peer_update(desired)};
  }
  const bool same_prefixes =
      api::canonical_prefixes(current->allowed_prefixes) == api::canonical_prefixes(desired.allowed_prefixes);
  if (current->public_key == desired.public_key && current->endpoint == desired.endpoint &&
      current->persistent_keepalive_seconds == desired.persistent_keepalive_seconds && same_prefixes) {
    return {};
  }
  if (current->public_key != desired.public_key || (current->endpoint.has_value() && !desired.endpoint.has_value())) {
    return {peer_removal(current->public_key), full_peer_update(desired)};
  }
  WgPeerUpdate update = full_peer_update(desired);
  if (same_prefixes) {
    // Leave the allowed IPs alone: replacing them walks the device's whole routing trie.
    update.replace_allowed_ips = false;
    update.allowed_ips.clear();
  }
  update.update_only = true;  // the peer exists; never resurrect one removed behind our back
  return {update};
}

api::PeerStats peer_stats_from_device(const api::NodeId& node_id, const WgPeerState& state) {
  api::PeerPublicKey key;
  std::copy(state.public_key.bytes.begin(), state.public_key.bytes.end(), key.bytes.begin());
  std::optional<api::SocketEndpoint> endpoint;
  if (state.endpoint.has_value()) {
    endpoint = from_wg_endpoint(*state.endpoint);
  }
  std::vector<api::IpPrefix> prefixes;
  for (const WgAllowedIp& allowed_ip : state.allowed_ips) {
    if (auto prefix = from_wg_allowed_ip(allowed_ip)) {
      prefixes.push_back(*prefix);
    }
  }
  std::optional<std::uint16_t> keepalive;
  if (state.persistent_keepalive_seconds != 0) {
    keepalive = state.persistent_keepalive_seconds;
  }
  std::optional<std::int64_t> handshake;
  if (state.last_handshake_unix_seconds != 0) {
    handshake = state.last_handshake_unix_seconds;
  }
  return api::PeerStats{.node_id = node_id,
                        .public_key = key,
                        .endpoint = endpoint,
                        .allowed_prefixes = api::canonical_prefixes(prefixes),
                        .persistent_keepalive_seconds = keepalive,
                        .rx_bytes = state.rx_bytes,
                        .tx_bytes = state.tx_bytes,
                        .last_handshake_unix_seconds = handshake};
}

}  // namespace rustynet::backend_wireguard
