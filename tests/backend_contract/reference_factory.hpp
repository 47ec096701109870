// SPDX-License-Identifier: Apache-2.0
// Contract-suite factories for the in-memory ReferenceBackend (shared by its tests).
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "backend_contract_suite.hpp"
#include "rustynet/backend_api/reference_backend.hpp"

namespace rustynet::backend_contract {

[[nodiscard]] inline backend_api::BackendCapabilities all_capabilities() {
  return backend_api::BackendCapabilities{
      .supports_roaming = true, .supports_exit_nodes = true, .supports_lan_routes = true, .supports_ipv6 = true};
}

// A valid context: node "local-node", interface "rn<index % 10000>", 100.64.0.1/10, a fixed key.
[[nodiscard]] inline backend_api::RuntimeContext reference_context(std::size_t index) {
  backend_api::RuntimeContext context{backend_api::NodeId::parse("local-node").value(),
                                      std::string("rn") + std::to_string(index % 10000),
                                      {backend_api::InterfaceAddress::parse("100.64.0.1/10").value()},
                                      0,
                                      1420,
                                      base::SecretBytes(32)};
  auto key = context.tunnel_private_key.mutable_view();
  for (std::size_t i = 0; i < key.size(); ++i) {
    key[i] = static_cast<std::uint8_t>(i + 1);
  }
  return context;
}

[[nodiscard]] inline BackendContractFactory reference_factory(std::string name, backend_api::BackendCapabilities caps,
                                                              std::size_t sequences) {
  BackendContractFactory factory;
  factory.name = std::move(name);
  factory.make_backend = [caps]() -> std::unique_ptr<backend_api::TunnelBackend> {
    return std::make_unique<backend_api::ReferenceBackend>(backend_api::ReferenceBackendOptions{"memory", caps});
  };
  factory.make_context = &reference_context;
  factory.expected_capabilities = caps;
  factory.property_sequences = sequences;
  return factory;
}

}  // namespace rustynet::backend_contract
