// SPDX-License-Identifier: Apache-2.0
// Interval algebra on destination ports: canonical union and difference for FlowSpace.
#pragma once

#include <vector>

#include "rustynet/policy/flow_space.hpp"

namespace rustynet::policy::detail {

// Sorts `intervals` and merges overlapping or adjacent ones, in place: the result is canonical
// (sorted, disjoint, non-adjacent). Each interval must have first <= last.
void canonicalize(std::vector<PortInterval>& intervals);

// The ports in `from` and not in `remove`. Both must be canonical; so is the result.
// O(|from| + |remove|).
[[nodiscard]] std::vector<PortInterval> subtract(const std::vector<PortInterval>& from,
                                                 const std::vector<PortInterval>& remove);

}  // namespace rustynet::policy::detail
