// SPDX-License-Identifier: Apache-2.0
// The reusable PacketFilterBackend contract suite against the nftables filter in a network
// namespace this binary creates (and removes); every allows() is a question to the kernel.
#include <memory>

#include "netns_fixture.hpp"
#include "packet_filter_contract.hpp"
#include "rustynet/backend_wireguard/factory.hpp"

namespace rustynet::backend_wireguard::testing {
namespace {

// Lives until exit; the fixture's signal handler removes it on SIGINT/SIGTERM/SIGABRT.
Netns& contract_netns() {
  static Netns netns("rnf-contract");
  return netns;
}

std::vector<backend_contract::PacketFilterContractFactory> factories() {
  backend_contract::PacketFilterContractFactory factory;
  factory.name = "nftables";
  factory.make_filter = []() -> std::unique_ptr<backend_api::PacketFilterBackend> {
    NftablesFilterOptions options;
    options.interface_name = "rnf0";  // need not exist: the table matches it by name
    options.network_namespace_path = contract_netns().path();
    options.command_timeout = std::chrono::seconds(60);
    return make_nftables_filter(options);
  };
  factory.instances_share_filter = true;
  // Each query is one or two nft processes: a modest model run keeps this under a minute.
  factory.random_specs = 25;
  factory.queries_per_spec = 40;
  factory.large_spec_rules = 2000;
  return {factory};
}

}  // namespace
}  // namespace rustynet::backend_wireguard::testing

RUSTYNET_INSTANTIATE_PACKET_FILTER_CONTRACT(Nftables, rustynet::backend_wireguard::testing::factories());
