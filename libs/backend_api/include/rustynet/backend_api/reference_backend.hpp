// SPDX-License-Identifier: Apache-2.0
// ReferenceBackend: an in-memory TunnelBackend; the executable form of the contract. No data plane.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "rustynet/backend_api/tunnel_backend.hpp"

namespace rustynet::backend_api {

// NOT a data plane: it moves no packets, creates no interface and touches no OS state. It keeps
// the state a backend would program, enforces the whole contract and reports it through stats()
// (counters stay zero, no handshakes). Uses: the reference that tests/backend_contract is
// checked against, a stand-in backend in daemon tests, and the daemon's `--backend=memory`
// dry-run mode (shows what would be programmed). It never stores the tunnel private key.
struct ReferenceBackendOptions {
  std::string name = "memory";
  BackendCapabilities capabilities{
      .supports_roaming = true, .supports_exit_nodes = true, .supports_lan_routes = true, .supports_ipv6 = true};
};

class ReferenceBackend final : public TunnelBackend {
 public:
  ReferenceBackend() : ReferenceBackend(ReferenceBackendOptions{}) {}
  explicit ReferenceBackend(ReferenceBackendOptions options);

  [[nodiscard]] std::string_view name() const override { return options_.name; }
  [[nodiscard]] BackendCapabilities capabilities() const override { return options_.capabilities; }
  BackendStatus start(const RuntimeContext& context) override;
  BackendStatus configure_peer(const PeerConfig& peer) override;
  BackendStatus configure_peers(std::span<const PeerConfig> peers) override;
  BackendStatus remove_peer(const NodeId& node_id) override;
  BackendStatus apply_routes(std::span<const Route> routes) override;
  BackendStatus set_exit_mode(const ExitMode& mode) override;
  BackendResult<TunnelStats> stats() override;
  BackendStatus shutdown() override;

 private:
  [[nodiscard]] BackendStatus require_running() const;
  [[nodiscard]] std::size_t route_references(const NodeId& node_id) const;
  void clear_state() noexcept;

  ReferenceBackendOptions options_;
  std::optional<NodeId> local_node_;  // set exactly while running
  std::map<NodeId, PeerConfig> peers_;
  std::map<PeerPublicKey, NodeId> key_owner_;
  std::map<IpPrefix, NodeId> prefix_owner_;
  std::map<IpPrefix, Route> routes_;
  std::map<NodeId, std::size_t> route_refs_;  // routes per `via`
  ExitMode exit_mode_ = ExitMode::off();
};

}  // namespace rustynet::backend_api
