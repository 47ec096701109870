// SPDX-License-Identifier: Apache-2.0
// The contract suite's reference model: the contract written as plainly as possible, independent
// of libs/backend_api's ReferenceBackend and validation helpers, to compare backends against.
#pragma once

#include <map>
#include <optional>
#include <span>

#include "contract_support.hpp"
#include "rustynet/backend_api/capabilities.hpp"
#include "rustynet/backend_api/exit_mode.hpp"
#include "rustynet/backend_api/peer_config.hpp"
#include "rustynet/backend_api/route.hpp"
#include "rustynet/backend_api/runtime_context.hpp"

namespace rustynet::backend_contract::detail {

// Each operation returns the error kind the contract demands, or nullopt for success, and
// applies the change only on success.
class ContractModel {
 public:
  using Outcome = std::optional<api::BackendErrorKind>;

  explicit ContractModel(api::BackendCapabilities capabilities) : caps_(capabilities) {}

  Outcome start(const api::RuntimeContext& context);
  Outcome configure_peer(const api::PeerConfig& peer);
  Outcome configure_peers(std::span<const api::PeerConfig> peers);
  Outcome remove_peer(const api::NodeId& node_id);
  Outcome apply_routes(std::span<const api::Route> routes);
  Outcome set_exit_mode(const api::ExitMode& mode);
  Outcome shutdown();

  [[nodiscard]] bool running() const noexcept { return local_.has_value(); }
  [[nodiscard]] const std::optional<api::NodeId>& local_node() const noexcept { return local_; }
  // What stats() must show while running.
  [[nodiscard]] ObservedState observed() const;

 private:
  api::BackendCapabilities caps_;
  std::optional<api::NodeId> local_;
  std::map<api::NodeId, api::PeerConfig> peers_;
  std::map<api::IpPrefix, api::Route> routes_;
  api::ExitMode exit_ = api::ExitMode::off();
};

}  // namespace rustynet::backend_contract::detail
