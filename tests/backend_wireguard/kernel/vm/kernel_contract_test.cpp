// SPDX-License-Identifier: Apache-2.0
// The reusable TunnelBackend contract suite against the kernel driver (explicit driver=kernel),
// every backend inside one network namespace created (and removed) by this binary. Runs inside
// the qemu VM (scripts/vm/run-kernel-tests.sh): the host kernel has no wireguard module.
#include <unistd.h>

#include <memory>
#include <string>

#include "backend_contract_suite.hpp"
#include "netns_fixture.hpp"
#include "rustynet/backend_api/interface_address.hpp"
#include "rustynet/backend_wireguard/factory.hpp"

namespace rustynet::backend_wireguard::testing {
namespace {

namespace api = backend_api;

Netns& contract_netns() {
  static Netns netns("rnwgk-contract");
  return netns;
}

api::RuntimeContext contract_context(std::size_t index) {
  api::RuntimeContext context{api::NodeId::parse("local-node").value(),
                              "rnk" + std::to_string(::getpid() % 100000) + "x" + std::to_string(index % 100000),
                              {api::InterfaceAddress::parse("100.64.0.1/10").value()},
                              0,
                              1420,
                              base::SecretBytes(32)};
  auto key = context.tunnel_private_key.mutable_view();
  for (std::size_t i = 0; i < key.size(); ++i) {
    key[i] = static_cast<std::uint8_t>(0x40 + i);
  }
  return context;
}

std::vector<backend_contract::BackendContractFactory> factories() {
  backend_contract::BackendContractFactory factory;
  factory.name = "wireguard_kernel";
  factory.make_backend = []() -> std::unique_ptr<api::TunnelBackend> {
    WireGuardBackendOptions options;
    options.driver = DriverKind::kKernel;
    options.network_namespace_path = contract_netns().path();
    return make_wireguard_backend(options);
  };
  factory.make_context = &contract_context;
  factory.expected_capabilities = api::BackendCapabilities{
      .supports_roaming = true, .supports_exit_nodes = false, .supports_lan_routes = true, .supports_ipv6 = true};
  // Emulated (TCG) CPU: fewer sequences than on the host, still every operation kind.
  factory.property_sequences = 150;
  factory.property_max_steps = 30;
  factory.property_shrink_budget = 40;
  factory.batch_scenarios = 30;
  factory.bulk_peers = 1000;
  return {factory};
}

}  // namespace
}  // namespace rustynet::backend_wireguard::testing

RUSTYNET_INSTANTIATE_BACKEND_CONTRACT(WireGuardKernel, rustynet::backend_wireguard::testing::factories());
