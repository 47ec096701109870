// SPDX-License-Identifier: Apache-2.0
// CompiledPolicy: an indexed, immutable form of a policy for fast decisions and peer visibility.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "rustynet/base/result.hpp"
#include "rustynet/policy/access_request.hpp"
#include "rustynet/policy/decision.hpp"
#include "rustynet/policy/flow_space.hpp"
#include "rustynet/policy/ip_prefix.hpp"
#include "rustynet/policy/node_inventory.hpp"
#include "rustynet/policy/policy_error.hpp"
#include "rustynet/policy/policy_rule.hpp"

namespace rustynet::policy {

// Which peers and prefixes one node may reach. Sorted, no duplicates. An over-approximation by
// design (docs/policy.md): a peer is listed when some allow rule matches the pair and no
// identity-wide deny (node/tag/group/"*", protocol any, all ports) removes it; narrower denies
// are enforced per flow by evaluate().
struct PeerVisibility {
  std::vector<std::string> peers;
  std::vector<IpPrefix> prefixes;  // destination prefixes named by matching allow rules
  friend bool operator==(const PeerVisibility&, const PeerVisibility&) = default;
};

// Immutable once built; evaluate() and visibility() are safe to call from many threads at once.
// Evaluation cost depends on the number of selectors that match the request's endpoints, not on
// the number of rules: rules are indexed by (source key, destination key) pairs.
class CompiledPolicy {
 public:
  // Validates `document` (validate_policy_document) and `inventory`, then builds the index.
  [[nodiscard]] static base::Result<CompiledPolicy, PolicyError> compile(const PolicyDocument& document,
                                                                         const NodeInventory& inventory);

  ~CompiledPolicy();
  CompiledPolicy(CompiledPolicy&&) noexcept;
  CompiledPolicy& operator=(CompiledPolicy&&) noexcept;
  CompiledPolicy(const CompiledPolicy&) = delete;
  CompiledPolicy& operator=(const CompiledPolicy&) = delete;

  // Default deny; explicit deny beats allow; the deciding rule is the smallest id among matching
  // rules of the winning action. Never fails.
  [[nodiscard]] Decision evaluate(const AccessRequest& request) const;

  // Every flow `src` may start towards `dst`, exactly: for every protocol p and port,
  //   flow_space(src, dst).allows(p, port) == evaluate({src.node, src.ip, dst.node, dst.ip, p, port}).allowed()
  // (property test FlowSpacePropertyTest.AllowsAgreesWithEvaluateAtEveryBoundary). Computed from
  // the same index as evaluate(): allow port intervals of the matching buckets, minus their deny
  // intervals. Cost: O(m log m) for the m entries of matching buckets, independent of the total
  // number of rules and never a walk over ports. Never fails.
  [[nodiscard]] FlowSpace flow_space(const FlowEndpoint& src, const FlowEndpoint& dst) const;

  // Errors: kUnknownNode when `node_id` is not in the inventory.
  [[nodiscard]] base::Result<PeerVisibility, PolicyError> visibility(std::string_view node_id) const;

  // Whether `node_id` is in the inventory the policy was compiled against (nodes only the
  // document names, e.g. group members not yet enrolled, are not).
  [[nodiscard]] bool in_inventory(std::string_view node_id) const noexcept;

  [[nodiscard]] std::size_t rule_count() const noexcept;
  // Number of (source key, destination key) index entries; for diagnostics and benchmarks.
  [[nodiscard]] std::size_t index_entry_count() const noexcept;

  struct Impl;

 private:
  explicit CompiledPolicy(std::unique_ptr<const Impl> impl);
  std::unique_ptr<const Impl> impl_;
};

}  // namespace rustynet::policy
