// SPDX-License-Identifier: Apache-2.0
// The daemon's path from policy text to FilterSpec, timed step by step.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "rustynet/backend_api/packet_filter.hpp"
#include "rustynet/base/result.hpp"
#include "rustynet/policy/node_state.hpp"

namespace rustynet::bench::filter {

struct BuildTimes {
  double parse_ms = 0;        // parse_policy_document (the daemon receives the policy as text)
  double compile_ms = 0;      // inventory_of(state) + CompiledPolicy::compile
  double plan_ms = 0;         // plan_node_filter alone (for the breakdown)
  double filter_spec_ms = 0;  // filter_spec_from: plan_node_filter again + the translation
  // The build of the goal: compile + filter_spec_from (plan_node_filter is inside it).
  [[nodiscard]] double build_ms() const { return compile_ms + filter_spec_ms; }
};

struct BuiltFilter {
  backend_api::FilterSpec spec;  // canonical, generation 0
  std::size_t plan_inbound = 0;  // NodeFilterPlan entries (peer address x own address, non-empty)
  std::size_t plan_outbound = 0;
  BuildTimes times;
};

// Error: the text does not parse or compile, or the node is not in its own inventory.
[[nodiscard]] base::Result<BuiltFilter, std::string> build_filter(const std::string& policy_json,
                                                                  const policy::NodeState& state);

// An inbound flow `a` lets start and `b` does not (nullopt if there is none). Both canonical,
// with host-prefix remotes as filter_spec_from makes them.
[[nodiscard]] std::optional<backend_api::FlowQuery> flow_only_in(const backend_api::FilterSpec& a,
                                                                 const backend_api::FilterSpec& b);

}  // namespace rustynet::bench::filter
