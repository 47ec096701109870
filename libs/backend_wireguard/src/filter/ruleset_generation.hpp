// SPDX-License-Identifier: Apache-2.0
// The nftables ruleset generation of a network namespace: a counter the kernel increments on every
// committed nftables transaction there (NFT_MSG_GETGEN). One netlink round trip tells whether
// anything at all was committed since the filter last knew its table, so verify() and an
// incremental apply need no listing of a table nobody touched (docs/packet-filter.md).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "rustynet/base/result.hpp"

namespace rustynet::backend_wireguard::filter {

class RulesetGeneration {
 public:
  virtual ~RulesetGeneration() = default;
  RulesetGeneration() = default;
  RulesetGeneration(const RulesetGeneration&) = delete;
  RulesetGeneration& operator=(const RulesetGeneration&) = delete;
  RulesetGeneration(RulesetGeneration&&) = delete;
  RulesetGeneration& operator=(RulesetGeneration&&) = delete;

  // The current generation, or a message when it cannot be read (no nf_tables, no permission).
  [[nodiscard]] virtual base::Result<std::uint32_t, std::string> read() = 0;
};

// Over a NETLINK_NETFILTER socket opened inside `netns_path` (nullopt: the caller's namespace)
// on first use and kept; a failed round trip closes it and the next read opens a new one.
[[nodiscard]] std::unique_ptr<RulesetGeneration> make_netlink_ruleset_generation(std::optional<std::string> netns_path);

}  // namespace rustynet::backend_wireguard::filter
