// SPDX-License-Identifier: Apache-2.0
// The contract suite's reference model (see docs/backend-contract.md for the rules it encodes).
#include "contract_model.hpp"

#include <algorithm>
#include <set>

namespace rustynet::backend_contract::detail {
namespace {

using Kind = api::BackendErrorKind;

bool is_v6(const api::IpPrefix& prefix) { return prefix.address().is_v6(); }

bool name_ok(const std::string& name) {
  if (name.empty() || name.size() > 15 || name == "." || name == "..") {
    return false;
  }
  for (const char c : name) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
    if (!ok) {
      return false;
    }
  }
  return true;
}

}  // namespace

ContractModel::Outcome ContractModel::start(const api::RuntimeContext& context) {
  if (running()) {
    return Kind::kAlreadyRunning;
  }
  const auto& addresses = context.interface_addresses;
  std::set<api::IpAddress> distinct;
  for (const auto& address : addresses) {
    distinct.insert(address.address());
  }
  const auto key = context.tunnel_private_key.view();
  const bool zero_key = std::all_of(key.begin(), key.end(), [](std::uint8_t b) { return b == 0; });
  if (!name_ok(context.interface_name) || addresses.empty() || addresses.size() > 16 ||
      distinct.size() != addresses.size() || context.mtu < 1280 || context.mtu > 65535 || key.size() != 32 ||
      zero_key) {
    return Kind::kInvalidInput;
  }
  if (!caps_.supports_ipv6 &&
      std::any_of(addresses.begin(), addresses.end(), [](const auto& a) { return a.address().is_v6(); })) {
    return Kind::kUnsupported;
  }
  local_ = context.local_node;
  return std::nullopt;
}

ContractModel::Outcome ContractModel::configure_peer(const api::PeerConfig& peer) {
  if (!running()) {
    return Kind::kNotRunning;
  }
  if (peer.public_key == api::PeerPublicKey{} ||
      (peer.persistent_keepalive_seconds.has_value() && *peer.persistent_keepalive_seconds == 0)) {
    return Kind::kInvalidInput;
  }
  if (!caps_.supports_ipv6 && ((peer.endpoint.has_value() && peer.endpoint->address().is_v6()) ||
                               std::any_of(peer.allowed_prefixes.begin(), peer.allowed_prefixes.end(), is_v6))) {
    return Kind::kUnsupported;
  }
  if (peer.node_id == *local_) {
    return Kind::kInvalidInput;
  }
  for (const auto& [id, other] : peers_) {
    if (id == peer.node_id) {
      continue;
    }
    if (other.public_key == peer.public_key) {
      return Kind::kInvalidInput;
    }
    for (const auto& prefix : peer.allowed_prefixes) {
      if (std::find(other.allowed_prefixes.begin(), other.allowed_prefixes.end(), prefix) !=
          other.allowed_prefixes.end()) {
        return Kind::kInvalidInput;
      }
    }
  }
  const auto existing = peers_.find(peer.node_id);
  if (existing != peers_.end() && existing->second.endpoint != peer.endpoint && !caps_.supports_roaming) {
    return Kind::kUnsupported;
  }
  api::PeerConfig stored = peer;
  std::sort(stored.allowed_prefixes.begin(), stored.allowed_prefixes.end());
  stored.allowed_prefixes.erase(std::unique(stored.allowed_prefixes.begin(), stored.allowed_prefixes.end()),
                                stored.allowed_prefixes.end());
  peers_.insert_or_assign(peer.node_id, std::move(stored));
  return std::nullopt;
}

ContractModel::Outcome ContractModel::configure_peers(std::span<const api::PeerConfig> peers) {
  if (!running()) {
    return Kind::kNotRunning;
  }
  for (const auto& peer : peers) {
    if (auto outcome = configure_peer(peer); outcome.has_value()) {
      return outcome;
    }
  }
  return std::nullopt;
}

ContractModel::Outcome ContractModel::remove_peer(const api::NodeId& node_id) {
  if (!running()) {
    return Kind::kNotRunning;
  }
  if (!peers_.contains(node_id)) {
    return Kind::kInvalidInput;
  }
  for (const auto& entry : routes_) {
    if (entry.second.via == node_id) {
      return Kind::kInvalidInput;
    }
  }
  if (exit_.exit_node() == node_id) {
    return Kind::kInvalidInput;
  }
  peers_.erase(node_id);
  return std::nullopt;
}

ContractModel::Outcome ContractModel::apply_routes(std::span<const api::Route> routes) {
  if (!running()) {
    return Kind::kNotRunning;
  }
  std::set<api::IpPrefix> destinations;
  for (const auto& route : routes) {
    const bool default_destination = route.destination.length() == 0;
    if ((route.kind == api::RouteKind::kExitDefault) != default_destination ||
        !destinations.insert(route.destination).second) {
      return Kind::kInvalidInput;
    }
  }
  for (const auto& route : routes) {
    if ((route.kind == api::RouteKind::kLan && !caps_.supports_lan_routes) ||
        (route.kind == api::RouteKind::kExitDefault && !caps_.supports_exit_nodes) ||
        (is_v6(route.destination) && !caps_.supports_ipv6)) {
      return Kind::kUnsupported;
    }
  }
  for (const auto& route : routes) {
    if (!peers_.contains(route.via)) {
      return Kind::kInvalidInput;
    }
  }
  routes_.clear();
  for (const auto& route : routes) {
    routes_.emplace(route.destination, route);
  }
  return std::nullopt;
}

ContractModel::Outcome ContractModel::set_exit_mode(const api::ExitMode& mode) {
  if (!running()) {
    return Kind::kNotRunning;
  }
  if (!mode.is_off()) {
    if (!caps_.supports_exit_nodes) {
      return Kind::kUnsupported;
    }
    if (!peers_.contains(*mode.exit_node())) {
      return Kind::kInvalidInput;
    }
  }
  exit_ = mode;
  return std::nullopt;
}

ContractModel::Outcome ContractModel::shutdown() {
  if (!running()) {
    return Kind::kNotRunning;
  }
  local_.reset();
  peers_.clear();
  routes_.clear();
  exit_ = api::ExitMode::off();
  return std::nullopt;
}

ObservedState ContractModel::observed() const {
  ObservedState state;
  for (const auto& [id, peer] : peers_) {
    state.peers.push_back(
        ObservedPeer{id, peer.public_key, peer.endpoint, peer.allowed_prefixes, peer.persistent_keepalive_seconds});
  }
  for (const auto& entry : routes_) {
    state.routes.push_back(entry.second);
  }
  state.exit_mode = exit_;
  return state;
}

}  // namespace rustynet::backend_contract::detail
