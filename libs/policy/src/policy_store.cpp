// SPDX-License-Identifier: Apache-2.0
// PolicyStore: swap on success, keep the previous policy on failure.
#include "rustynet/policy/policy_store.hpp"

#include <utility>

namespace rustynet::policy {

base::Status<PolicyError> PolicyStore::load(std::string_view document_text, const NodeInventory& inventory) {
  auto document = parse_policy_document(document_text);
  if (!document.has_value()) {
    return record(base::unexpected(std::move(document).error()));
  }
  return install(*document, inventory);
}

base::Status<PolicyError> PolicyStore::install(const PolicyDocument& document, const NodeInventory& inventory) {
  // Compile outside the lock: it is the slow part and readers must not wait for it.
  return record(CompiledPolicy::compile(document, inventory));
}

base::Status<PolicyError> PolicyStore::record(base::Result<CompiledPolicy, PolicyError> compiled) {
  if (!compiled.has_value()) {
    const std::lock_guard lock(mutex_);
    last_error_ = compiled.error();
    return base::unexpected(std::move(compiled).error());
  }
  auto next = std::make_shared<const CompiledPolicy>(std::move(compiled).value());
  const std::lock_guard lock(mutex_);
  current_ = std::move(next);
  last_error_.reset();
  ++generation_;
  return {};
}

std::shared_ptr<const CompiledPolicy> PolicyStore::current() const {
  const std::lock_guard lock(mutex_);
  return current_;
}

Decision PolicyStore::evaluate(const AccessRequest& request) const {
  const auto policy = current();
  if (!policy) {
    return Decision{Verdict::kDeny, DecisionReason::kNoPolicy, {}};
  }
  return policy->evaluate(request);
}

std::optional<PolicyError> PolicyStore::last_error() const {
  const std::lock_guard lock(mutex_);
  return last_error_;
}

std::uint64_t PolicyStore::generation() const {
  const std::lock_guard lock(mutex_);
  return generation_;
}

}  // namespace rustynet::policy
