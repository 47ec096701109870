// SPDX-License-Identifier: Apache-2.0
// Modes "install" and "remove": the filter of a synthetic policy on an existing interface (the
// harness's hand-configured WireGuard tunnel), for the data-path overhead measurement.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "rustynet/base/result.hpp"

namespace rustynet::bench::filter {

struct InstallOptions {
  std::string interface_name;  // exists in the current namespace (main enters --netns first)
  std::size_t rules = 1000;
  std::size_t nodes = 1001;
  std::string self_address;  // this node's address on the interface (node-0 of the workload)
  std::string peer_address;  // the peer that starts the measured flow (node-1 of the workload)
  std::uint16_t allow_tcp_port = 5201;
  std::uint64_t generation = 1;
  std::string nft = "/usr/sbin/nft";
};

// make_workload(rules, nodes) with node-0 and node-1 moved to self/peer address, plus one rule
// "allow node-1 -> node-0 tcp <port>", compiled, planned and applied as the daemon would. Checks
// with the kernel that the flow is allowed and finds a tcp port of the peer's the filter drops
// (for the harness's "the filter is in force" probe). Returns JSON (counts, times, that port).
[[nodiscard]] base::Result<std::string, std::string> run_install(const InstallOptions& options);

// Deletes the interface's table (idempotent).
[[nodiscard]] base::Result<std::string, std::string> run_remove(const std::string& interface_name,
                                                                const std::string& nft);

}  // namespace rustynet::bench::filter
