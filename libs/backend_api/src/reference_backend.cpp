// SPDX-License-Identifier: Apache-2.0
// ReferenceBackend: validate everything first, then mutate, so failed calls change nothing.
#include "rustynet/backend_api/reference_backend.hpp"

#include <utility>

#include "rustynet/backend_api/validation.hpp"

namespace rustynet::backend_api {

ReferenceBackend::ReferenceBackend(ReferenceBackendOptions options) : options_(std::move(options)) {}

BackendStatus ReferenceBackend::require_running() const {
  if (!local_node_.has_value()) {
    return fail(BackendError::not_running("backend '" + options_.name + "' is not running"));
  }
  return {};
}

std::size_t ReferenceBackend::route_references(const NodeId& node_id) const {
  const auto it = route_refs_.find(node_id);
  return it == route_refs_.end() ? 0 : it->second;
}

void ReferenceBackend::clear_state() noexcept {
  local_node_.reset();
  peers_.clear();
  key_owner_.clear();
  prefix_owner_.clear();
  routes_.clear();
  route_refs_.clear();
  exit_mode_ = ExitMode::off();
}

BackendStatus ReferenceBackend::start(const RuntimeContext& context) {
  if (local_node_.has_value()) {
    return fail(BackendError::already_running("backend '" + options_.name + "' is already running"));
  }
  RUSTYNET_RETURN_IF_ERROR(validate_runtime_context(context, options_.capabilities));
  // Deliberately keeps no copy of context.tunnel_private_key: nothing here would use it.
  clear_state();
  local_node_ = context.local_node;
  return {};
}

BackendStatus ReferenceBackend::configure_peer(const PeerConfig& peer) {
  RUSTYNET_RETURN_IF_ERROR(require_running());
  RUSTYNET_RETURN_IF_ERROR(validate_peer_config(peer, options_.capabilities));
  if (peer.node_id == *local_node_) {
    return fail(BackendError::invalid_input("peer " + peer.node_id.value() + " is the local node"));
  }
  if (const auto owner = key_owner_.find(peer.public_key); owner != key_owner_.end() && owner->second != peer.node_id) {
    return fail(BackendError::invalid_input("peer " + peer.node_id.value() + ": public key already used by node " +
                                            owner->second.value()));
  }
  std::vector<IpPrefix> prefixes = canonical_prefixes(peer.allowed_prefixes);
  for (const IpPrefix& prefix : prefixes) {
    if (const auto owner = prefix_owner_.find(prefix); owner != prefix_owner_.end() && owner->second != peer.node_id) {
      return fail(BackendError::invalid_input("peer " + peer.node_id.value() + ": allowed prefix " +
                                              prefix.to_string() + " already owned by node " + owner->second.value()));
    }
  }
  const auto existing = peers_.find(peer.node_id);
  if (existing != peers_.end() && existing->second.endpoint != peer.endpoint &&
      !options_.capabilities.supports_roaming) {
    return fail(BackendError::unsupported("peer " + peer.node_id.value() +
                                          ": changing a live peer's endpoint needs roaming support; remove and "
                                          "re-add the peer instead"));
  }

  if (existing != peers_.end()) {
    key_owner_.erase(existing->second.public_key);
    for (const IpPrefix& old_prefix : existing->second.allowed_prefixes) {
      prefix_owner_.erase(old_prefix);
    }
  }
  key_owner_.insert_or_assign(peer.public_key, peer.node_id);
  for (const IpPrefix& prefix : prefixes) {
    prefix_owner_.insert_or_assign(prefix, peer.node_id);
  }
  PeerConfig stored{peer.node_id, peer.public_key, peer.endpoint, std::move(prefixes),
                    peer.persistent_keepalive_seconds};
  peers_.insert_or_assign(peer.node_id, std::move(stored));
  return {};
}

BackendStatus ReferenceBackend::configure_peers(std::span<const PeerConfig> peers) {
  // Same result as the default loop; overridden only to skip its empty-batch stats() probe.
  RUSTYNET_RETURN_IF_ERROR(require_running());
  for (std::size_t i = 0; i < peers.size(); ++i) {
    auto status = configure_peer(peers[i]);
    if (!status.has_value()) {
      BackendError error = std::move(status).error();
      error.message = std::string("peers[") + std::to_string(i) + "]: " + error.message;
      return fail(std::move(error));
    }
  }
  return {};
}

BackendStatus ReferenceBackend::remove_peer(const NodeId& node_id) {
  RUSTYNET_RETURN_IF_ERROR(require_running());
  const auto it = peers_.find(node_id);
  if (it == peers_.end()) {
    return fail(BackendError::invalid_input("peer " + node_id.value() + " is not configured"));
  }
  if (const std::size_t refs = route_references(node_id); refs != 0) {
    return fail(BackendError::invalid_input("peer " + node_id.value() + " is the next hop of " + std::to_string(refs) +
                                            " route(s); apply a route set without them first"));
  }
  if (exit_mode_.exit_node() == node_id) {
    return fail(BackendError::invalid_input("peer " + node_id.value() + " is the current exit node"));
  }
  key_owner_.erase(it->second.public_key);
  for (const IpPrefix& prefix : it->second.allowed_prefixes) {
    prefix_owner_.erase(prefix);
  }
  peers_.erase(it);
  return {};
}

BackendStatus ReferenceBackend::apply_routes(std::span<const Route> routes) {
  RUSTYNET_RETURN_IF_ERROR(require_running());
  RUSTYNET_RETURN_IF_ERROR(validate_routes(routes, options_.capabilities));
  for (const Route& route : routes) {
    if (!peers_.contains(route.via)) {
      return fail(BackendError::invalid_input(std::string("route ") + route.destination.to_string() + " via " +
                                              route.via.value() + ": next hop is not a configured peer"));
    }
  }
  std::map<IpPrefix, Route> next;
  std::map<NodeId, std::size_t> next_refs;
  for (const Route& route : routes) {
    next.emplace(route.destination, route);
    ++next_refs[route.via];
  }
  routes_ = std::move(next);
  route_refs_ = std::move(next_refs);
  return {};
}

BackendStatus ReferenceBackend::set_exit_mode(const ExitMode& mode) {
  RUSTYNET_RETURN_IF_ERROR(require_running());
  RUSTYNET_RETURN_IF_ERROR(validate_exit_mode(mode, options_.capabilities));
  if (mode.exit_node().has_value() && !peers_.contains(*mode.exit_node())) {
    return fail(BackendError::invalid_input("exit node " + mode.exit_node()->value() + " is not a configured peer"));
  }
  exit_mode_ = mode;
  return {};
}

BackendResult<TunnelStats> ReferenceBackend::stats() {
  RUSTYNET_RETURN_IF_ERROR(require_running());
  TunnelStats out;
  out.peers.reserve(peers_.size());
  for (const auto& [node_id, peer] : peers_) {
    out.peers.push_back(PeerStats{node_id, peer.public_key, peer.endpoint, peer.allowed_prefixes,
                                  peer.persistent_keepalive_seconds, 0, 0, std::nullopt});
  }
  out.routes.reserve(routes_.size());
  for (const auto& entry : routes_) {
    out.routes.push_back(entry.second);
  }
  out.exit_mode = exit_mode_;
  return out;
}

BackendStatus ReferenceBackend::shutdown() {
  RUSTYNET_RETURN_IF_ERROR(require_running());
  clear_state();
  return {};
}

}  // namespace rustynet::backend_api
