// SPDX-License-Identifier: Apache-2.0
// PeerTable: the configured peers with the indexes the contract's conflict rules need.
#pragma once

#include <map>
#include <optional>

#include "rustynet/backend_api/backend_error.hpp"
#include "rustynet/backend_api/peer_config.hpp"

namespace rustynet::backend_wireguard {

// Keeps node -> config, key -> node and prefix -> owner consistent so that a batch of N peers is
// checked in O(N log N). Copyable: a batch is validated against a working copy.
class PeerTable {
 public:
  // Contract step 4 for configure_peer: local node, a key or an allowed prefix owned by another
  // node. nullopt when `peer` may be applied.
  [[nodiscard]] std::optional<backend_api::BackendError> check(const backend_api::PeerConfig& peer,
                                                               const backend_api::NodeId& local_node) const;
  void upsert(const backend_api::PeerConfig& peer);
  void erase(const backend_api::NodeId& node_id);
  [[nodiscard]] const backend_api::PeerConfig* find(const backend_api::NodeId& node_id) const;
  [[nodiscard]] const backend_api::NodeId* owner_of_key(const backend_api::PeerPublicKey& key) const;
  [[nodiscard]] const std::map<backend_api::NodeId, backend_api::PeerConfig>& peers() const noexcept { return peers_; }

 private:
  std::map<backend_api::NodeId, backend_api::PeerConfig> peers_;
  std::map<backend_api::PeerPublicKey, backend_api::NodeId> by_key_;
  std::map<backend_api::IpPrefix, backend_api::NodeId> owner_;
};

}  // namespace rustynet::backend_wireguard
