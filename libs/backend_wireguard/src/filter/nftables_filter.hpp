// SPDX-License-Identifier: Apache-2.0
// NftablesPacketFilter: the PacketFilterBackend that keeps one nftables table per mesh interface.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "filter/nft_render.hpp"
#include "filter/nft_runner.hpp"
#include "filter/ruleset_generation.hpp"
#include "rustynet/backend_api/packet_filter.hpp"

namespace rustynet::backend_wireguard::filter {

// Owns table `inet rustynet_<interface>` (docs/packet-filter.md) through `runner`; every
// operation is one or a few nft invocations, each its own netlink transaction. Not thread-safe
// (the contract's one owner, one thread). The table outlives the object: destroying it never
// touches the kernel, only remove() does.
class NftablesPacketFilter final : public backend_api::PacketFilterBackend {
 public:
  // An invalid `interface_name` (validate_interface_name) makes every operation fail with
  // kInvalidInput naming the problem: nothing is installed under a name that was refused.
  // Without `generation` (nullptr) every apply() reads the table back at once and every verify()
  // lists it; with it, both skip the listing while the namespace's ruleset generation proves
  // nobody committed anything since the filter last knew its table, and apply() changes only
  // what differs from that table.
  NftablesPacketFilter(std::string interface_name, std::unique_ptr<NftRunner> runner,
                       std::unique_ptr<RulesetGeneration> generation = nullptr);

  [[nodiscard]] std::string_view name() const override { return "nftables"; }
  backend_api::BackendStatus apply(const backend_api::FilterSpec& spec) override;
  backend_api::BackendStatus ensure_installed() override;
  backend_api::BackendResult<backend_api::FilterState> verify() override;
  backend_api::BackendResult<bool> allows(const backend_api::FlowQuery& flow) override;
  backend_api::BackendStatus remove() override;

  // "rustynet_<interface>" (for logs and operators: `nft list table inet NAME`).
  [[nodiscard]] const std::string& table_name() const noexcept { return table_; }

 private:
  backend_api::BackendResult<NftOutput> run(const std::vector<std::string>& arguments, const std::string& input = {});
  // The stateless listing, or nullopt when the table does not exist.
  backend_api::BackendResult<std::optional<std::string>> read_table();
  backend_api::BackendResult<bool> table_exists();

  // What the table holds after the last successful apply(), and how that is known.
  struct Applied {
    std::uint64_t generation = 0;
    RenderedFilter filter;
    // The ruleset generation at which the table provably held `filter` (right after our own
    // commit when it was the only one, or when a listing matched `listing` around an unchanged
    // generation); nullopt: not proven since.
    std::optional<std::uint32_t> proven_at;
    // The listing read back for `filter`; nullopt until read (it is read lazily, by verify(),
    // while `proven_at` still holds).
    std::optional<std::string> listing;
  };

  backend_api::BackendStatus commit(const std::string& script, const std::string& attempt);
  // The ruleset generation, or nullopt without a reader or when it cannot be read (the filter
  // then falls back to listings, which are always right, only slower).
  std::optional<std::uint32_t> ruleset_generation();
  // Whether the table is known to hold applied_->filter right now.
  bool table_is_as_applied();

  std::string interface_name_;
  std::string table_;
  std::optional<backend_api::BackendError> config_error_;
  std::unique_ptr<NftRunner> runner_;
  std::unique_ptr<RulesetGeneration> generation_;
  std::optional<Applied> applied_;
};

}  // namespace rustynet::backend_wireguard::filter
