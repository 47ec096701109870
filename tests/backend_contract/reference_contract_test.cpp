// SPDX-License-Identifier: Apache-2.0
// Instantiates the contract suite for the in-memory ReferenceBackend, once per capability set.
#include <memory>
#include <string>
#include <vector>

#include "backend_contract_suite.hpp"
#include "reference_factory.hpp"

namespace rustynet::backend_contract {
namespace {

std::vector<BackendContractFactory> reference_factories() {
  std::vector<BackendContractFactory> factories;
  // Everything supported: the full property run (at least 10,000 sequences, issue 4).
  factories.push_back(reference_factory("all", all_capabilities(), 10000));
  // Nothing supported: every gated request must fail closed.
  factories.push_back(reference_factory("none", backend_api::BackendCapabilities{}, 2000));
  // Mixed sets, so precedence between capability and state checks is exercised both ways.
  factories.push_back(reference_factory(
      "lan_v6", backend_api::BackendCapabilities{.supports_lan_routes = true, .supports_ipv6 = true}, 2000));
  factories.push_back(reference_factory(
      "roam_exit", backend_api::BackendCapabilities{.supports_roaming = true, .supports_exit_nodes = true}, 2000));
  return factories;
}

}  // namespace
}  // namespace rustynet::backend_contract

RUSTYNET_INSTANTIATE_BACKEND_CONTRACT(Reference, rustynet::backend_contract::reference_factories());
