// SPDX-License-Identifier: Apache-2.0
// TunnelBackend::configure_peers default: exactly the sequence of single calls.
#include "rustynet/backend_api/tunnel_backend.hpp"

namespace rustynet::backend_api {

BackendStatus TunnelBackend::configure_peers(std::span<const PeerConfig> peers) {
  if (peers.empty()) {
    // Invariant 2 holds for the batched form too. stats() is the one running-state probe every
    // backend has and it changes nothing; any other failure of it is irrelevant to an empty batch.
    auto probe = stats();
    if (!probe.has_value() && probe.error().kind == BackendErrorKind::kNotRunning) {
      return fail(std::move(probe).error());
    }
    return {};
  }
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

}  // namespace rustynet::backend_api
