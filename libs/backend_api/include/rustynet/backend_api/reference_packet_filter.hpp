// SPDX-License-Identifier: Apache-2.0
// ReferencePacketFilter: an in-memory PacketFilterBackend; the executable form of the filter contract.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rustynet/backend_api/packet_filter.hpp"

namespace rustynet::backend_api {

// NOT a filter: it touches no packets and no OS state. It keeps the spec a real filter would
// install and answers allows() from it with the documented semantics. Uses: the reference the
// packet-filter contract suite is checked against, and a stand-in in daemon tests (fail_next_apply
// injects an installation failure; tamper() simulates a table changed behind the owner's back).
class ReferencePacketFilter final : public PacketFilterBackend {
 public:
  // What a kernel would hold: objects made with the same Store see one installed filter, like two
  // daemons on one host (a crashed owner and its successor).
  struct Store {
    std::optional<FilterSpec> installed;
    bool tampered = false;
    std::uint64_t changes = 0;  // every install, apply or removal
  };

  ReferencePacketFilter() : store_(std::make_shared<Store>()) {}
  explicit ReferencePacketFilter(std::shared_ptr<Store> store) : store_(std::move(store)) {}

  [[nodiscard]] std::string_view name() const override { return "memory"; }
  BackendStatus apply(const FilterSpec& spec) override;
  BackendStatus ensure_installed() override;
  BackendResult<FilterState> verify() override;
  BackendResult<bool> allows(const FlowQuery& flow) override;
  BackendStatus remove() override;

  // Test hooks.
  void fail_next_apply() noexcept { fail_next_apply_ = true; }
  void tamper() noexcept { store_->tampered = true; }
  [[nodiscard]] const std::optional<FilterSpec>& installed() const noexcept { return store_->installed; }
  [[nodiscard]] int apply_count() const noexcept { return apply_count_; }

 private:
  std::shared_ptr<Store> store_;
  std::optional<std::uint64_t> applied_at_;  // store_->changes right after this object's last apply
  bool fail_next_apply_ = false;
  int apply_count_ = 0;
};

// Whether `rules` let `flow` through, by the FilterSpec semantics (shared with tests).
[[nodiscard]] bool filter_rules_allow(const std::vector<FilterRule>& rules, const FlowQuery& flow);

}  // namespace rustynet::backend_api
