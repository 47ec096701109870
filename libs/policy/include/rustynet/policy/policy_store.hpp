// SPDX-License-Identifier: Apache-2.0
// PolicyStore: holds the policy in force; an invalid load never replaces a valid one.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>

#include "rustynet/base/result.hpp"
#include "rustynet/policy/access_request.hpp"
#include "rustynet/policy/compiled_policy.hpp"
#include "rustynet/policy/decision.hpp"
#include "rustynet/policy/node_inventory.hpp"
#include "rustynet/policy/policy_error.hpp"
#include "rustynet/policy/policy_rule.hpp"

namespace rustynet::policy {

// Thread-safe. Readers take a shared_ptr snapshot, so a load never disturbs a decision in
// progress, and a decision always sees one whole policy (never half of an update).
class PolicyStore {
 public:
  // Parses, validates and compiles `document_text` against `inventory`. On success the new policy
  // replaces the current one; on any error the current policy stays in force, the error is
  // returned and kept for last_error() (operator visibility).
  base::Status<PolicyError> load(std::string_view document_text, const NodeInventory& inventory);
  // The same for an already parsed document.
  base::Status<PolicyError> install(const PolicyDocument& document, const NodeInventory& inventory);

  // The policy in force, or null if no valid policy was ever loaded.
  [[nodiscard]] std::shared_ptr<const CompiledPolicy> current() const;
  // current()->evaluate(), or deny with reason kNoPolicy when there is none.
  [[nodiscard]] Decision evaluate(const AccessRequest& request) const;
  // The error of the most recent load if it failed; cleared by a successful load.
  [[nodiscard]] std::optional<PolicyError> last_error() const;
  // Number of successful loads so far (0 = none).
  [[nodiscard]] std::uint64_t generation() const;

 private:
  base::Status<PolicyError> record(base::Result<CompiledPolicy, PolicyError> compiled);

  mutable std::mutex mutex_;
  std::shared_ptr<const CompiledPolicy> current_;
  std::optional<PolicyError> last_error_;
  std::uint64_t generation_ = 0;
};

}  // namespace rustynet::policy
