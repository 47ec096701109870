// SPDX-License-Identifier: Apache-2.0
// NftablesPacketFilter: the PacketFilterBackend that keeps one nftables table per mesh interface.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "filter/nft_runner.hpp"
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
  NftablesPacketFilter(std::string interface_name, std::unique_ptr<NftRunner> runner);

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

  std::string interface_name_;
  std::string table_;
  std::optional<backend_api::BackendError> config_error_;
  std::unique_ptr<NftRunner> runner_;
  // The listing read back right after the last successful apply(); verify() compares with it.
  std::optional<std::string> applied_listing_;
};

}  // namespace rustynet::backend_wireguard::filter
