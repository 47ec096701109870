// SPDX-License-Identifier: Apache-2.0
// PeerTable bookkeeping.
#include "peer_table.hpp"

namespace rustynet::backend_wireguard {

namespace api = backend_api;

std::optional<api::BackendError> PeerTable::check(const api::PeerConfig& peer, const api::NodeId& local_node) const {
  if (peer.node_id == local_node) {
    return api::BackendError::invalid_input("peer " + peer.node_id.value() + " is the local node");
  }
  if (const auto it = by_key_.find(peer.public_key); it != by_key_.end() && it->second != peer.node_id) {
    return api::BackendError::invalid_input("peer " + peer.node_id.value() + ": public key already used by node " +
                                            it->second.value());
  }
  for (const api::IpPrefix& prefix : peer.allowed_prefixes) {
    if (const auto it = owner_.find(prefix); it != owner_.end() && it->second != peer.node_id) {
      return api::BackendError::invalid_input("peer " + peer.node_id.value() + ": allowed prefix " +
                                              prefix.to_string() + " already belongs to node " + it->second.value());
    }
  }
  return std::nullopt;
}

void PeerTable::upsert(const api::PeerConfig& peer) {
  erase(peer.node_id);
  api::PeerConfig stored = peer;
  stored.allowed_prefixes = api::canonical_prefixes(peer.allowed_prefixes);
  by_key_.insert_or_assign(stored.public_key, stored.node_id);
  for (const api::IpPrefix& prefix : stored.allowed_prefixes) {
    owner_.insert_or_assign(prefix, stored.node_id);
  }
  peers_.insert_or_assign(stored.node_id, std::move(stored));
}

void PeerTable::erase(const api::NodeId& node_id) {
  const auto it = peers_.find(node_id);
  if (it == peers_.end()) {
    return;
  }
  by_key_.erase(it->second.public_key);
  for (const api::IpPrefix& prefix : it->second.allowed_prefixes) {
    owner_.erase(prefix);
  }
  peers_.erase(it);
}

const api::PeerConfig* PeerTable::find(const api::NodeId& node_id) const {
  const auto it = peers_.find(node_id);
  return it == peers_.end() ? nullptr : &it->second;
}

const api::NodeId* PeerTable::owner_of_key(const api::PeerPublicKey& key) const {
  const auto it = by_key_.find(key);
  return it == by_key_.end() ? nullptr : &it->second;
}

}  // namespace rustynet::backend_wireguard
