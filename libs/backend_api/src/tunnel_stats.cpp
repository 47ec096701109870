// SPDX-License-Identifier: Apache-2.0
// TunnelStats formatting (used in test diagnostics and dry-run output).
#include "rustynet/backend_api/tunnel_stats.hpp"

#include <ostream>

namespace rustynet::backend_api {

std::ostream& operator<<(std::ostream& out, const TunnelStats& stats) {
  out << "stats{peers=[";
  for (std::size_t i = 0; i < stats.peers.size(); ++i) {
    const PeerStats& peer = stats.peers[i];
    out << (i == 0 ? "" : ", ") << peer.node_id << " key=" << peer.public_key.to_hex().substr(0, 8);
    if (peer.endpoint.has_value()) {
      out << " endpoint=" << *peer.endpoint;
    }
    out << " allowed=[";
    for (std::size_t j = 0; j < peer.allowed_prefixes.size(); ++j) {
      out << (j == 0 ? "" : ",") << peer.allowed_prefixes[j];
    }
    out << "]";
    if (peer.persistent_keepalive_seconds.has_value()) {
      out << " keepalive=" << *peer.persistent_keepalive_seconds;
    }
    out << " rx=" << peer.rx_bytes << " tx=" << peer.tx_bytes;
  }
  out << "] routes=[";
  for (std::size_t i = 0; i < stats.routes.size(); ++i) {
    out << (i == 0 ? "" : ", ") << stats.routes[i];
  }
  return out << "] exit=" << stats.exit_mode << " total_rx=" << stats.total_rx_bytes
             << " total_tx=" << stats.total_tx_bytes << "}";
}

}  // namespace rustynet::backend_api
