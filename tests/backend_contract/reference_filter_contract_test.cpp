// SPDX-License-Identifier: Apache-2.0
// Instantiates the packet-filter contract suite for the in-memory ReferencePacketFilter.
#include <memory>
#include <vector>

#include "packet_filter_contract.hpp"
#include "rustynet/backend_api/reference_packet_filter.hpp"

namespace rustynet::backend_contract {
namespace {

std::vector<PacketFilterContractFactory> reference_filter_factories() {
  PacketFilterContractFactory factory;
  factory.name = "memory";
  // One store for every object, like one kernel: the owner-outliving checks run too.
  auto store = std::make_shared<backend_api::ReferencePacketFilter::Store>();
  factory.make_filter = [store]() -> std::unique_ptr<backend_api::PacketFilterBackend> {
    return std::make_unique<backend_api::ReferencePacketFilter>(store);
  };
  factory.instances_share_filter = true;
  return {factory};
}

}  // namespace
}  // namespace rustynet::backend_contract

RUSTYNET_INSTANTIATE_PACKET_FILTER_CONTRACT(Reference, rustynet::backend_contract::reference_filter_factories());
