// SPDX-License-Identifier: Apache-2.0
// NodeState -> DesiredState translation and state diffing.
#include "desired_state.hpp"

#include <algorithm>

#include "rustynet/backend_api/ip_prefix.hpp"
#include "rustynet/backend_api/socket_endpoint.hpp"

namespace rustynet::apps::daemon {
namespace {

DaemonResult<backend_api::IpPrefix> to_backend_prefix(const policy::IpPrefix& prefix) {
  auto out = backend_api::IpPrefix::parse(prefix.to_string());
  if (!out.has_value()) {
    return daemon_fail(DaemonErrorKind::kRejected, "prefix " + prefix.to_string() + ": " + out.error().message);
  }
  return std::move(out).value();
}

DaemonResult<backend_api::NodeId> to_node_id(const std::string& text) {
  auto out = backend_api::NodeId::parse(text);
  if (!out.has_value() || out->value() != text) {
    return daemon_fail(DaemonErrorKind::kRejected, "node id is not canonical");
  }
  return std::move(out).value();
}

}  // namespace

DaemonResult<DesiredState> desired_state_from(const policy::NodeState& state, std::uint16_t keepalive_seconds) {
  DesiredState out;
  for (const auto& address : state.addresses) {
    const unsigned width = address.max_prefix_length();
    auto parsed = backend_api::InterfaceAddress::parse(address.to_string() + "/" + std::to_string(width));
    if (!parsed.has_value()) {
      return daemon_fail(DaemonErrorKind::kRejected, "node address: " + parsed.error().message);
    }
    out.addresses.push_back(*parsed);
  }
  std::sort(out.addresses.begin(), out.addresses.end());
  std::map<std::string, const policy::PeerState*> by_id;
  for (const auto& peer : state.peers) {
    RUSTYNET_ASSIGN_OR_RETURN(auto node_id, to_node_id(peer.node_id));
    auto key = backend_api::PeerPublicKey::from_bytes(peer.tunnel_public_key);
    if (!key.has_value()) {
      return daemon_fail(DaemonErrorKind::kRejected, "peer key: " + key.error().message);
    }
    backend_api::PeerConfig config{node_id, *key, std::nullopt, {}, keepalive_seconds};
    if (!peer.endpoints.empty()) {
      auto endpoint = backend_api::SocketEndpoint::parse(peer.endpoints.front().to_string());
      if (!endpoint.has_value()) {
        return daemon_fail(DaemonErrorKind::kRejected, "peer endpoint: " + endpoint.error().message);
      }
      config.endpoint = *endpoint;
    }
    for (const auto& prefix : peer.allowed_prefixes) {
      RUSTYNET_ASSIGN_OR_RETURN(auto converted, to_backend_prefix(prefix));
      config.allowed_prefixes.push_back(converted);
    }
    config.allowed_prefixes = backend_api::canonical_prefixes(config.allowed_prefixes);
    by_id[peer.node_id] = &peer;
    out.peers.emplace(std::move(node_id), std::move(config));
  }
  for (const auto& route : state.routes) {
    RUSTYNET_ASSIGN_OR_RETURN(auto destination, to_backend_prefix(route.prefix));
    RUSTYNET_ASSIGN_OR_RETURN(auto via, to_node_id(route.via));
    backend_api::Route converted{destination, std::move(via), backend_api::RouteKind::kLan};
    if (converted.destination.is_default()) {
      converted.kind = backend_api::RouteKind::kExitDefault;
    } else if (auto it = by_id.find(route.via); it != by_id.end()) {
      for (const auto& address : it->second->addresses) {
        if (policy::IpPrefix::host(address) == route.prefix) {
          converted.kind = backend_api::RouteKind::kMesh;
        }
      }
    }
    out.routes.push_back(converted);
  }
  std::sort(out.routes.begin(), out.routes.end(), backend_api::RouteDestinationLess{});
  return out;
}

StateDiff diff_states(const DesiredState& from, const DesiredState& to) {
  StateDiff diff;
  for (const auto& [id, peer] : from.peers) {
    if (to.peers.find(id) == to.peers.end()) {
      diff.removed.push_back(id);
    }
  }
  for (const auto& [id, peer] : to.peers) {
    const auto it = from.peers.find(id);
    if (it == from.peers.end() || !(it->second == peer)) {
      diff.added_or_changed.push_back(peer);
    }
  }
  for (const auto& route : from.routes) {
    if (std::find(to.routes.begin(), to.routes.end(), route) != to.routes.end()) {
      diff.kept_routes.push_back(route);
    }
  }
  diff.routes_changed = from.routes != to.routes;
  diff.addresses_changed = from.addresses != to.addresses;
  return diff;
}

}  // namespace rustynet::apps::daemon
