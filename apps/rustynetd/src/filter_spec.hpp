// SPDX-License-Identifier: Apache-2.0
// The packet filter a verified node state and its policy ask for, in backend terms.
#pragma once

#include "daemon_error.hpp"
#include "rustynet/backend_api/packet_filter.hpp"
#include "rustynet/policy/compiled_policy.hpp"
#include "rustynet/policy/node_state.hpp"

namespace rustynet::apps::daemon {

// policy::plan_node_filter (the flows each peer may start towards this node, and those this node
// may start towards each peer, exactly as CompiledPolicy::evaluate decides them) translated into
// a canonical FilterSpec with generation 0 (TunnelRuntime stamps the generation it installs).
// Errors: kRejected (the policy does not know this node, or a value the backend types cannot hold).
[[nodiscard]] DaemonResult<backend_api::FilterSpec> filter_spec_from(const policy::CompiledPolicy& policy,
                                                                     const policy::NodeState& state);

}  // namespace rustynet::apps::daemon
