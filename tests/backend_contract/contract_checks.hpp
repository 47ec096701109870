// SPDX-License-Identifier: Apache-2.0
// Declarations of the individual contract checks (registered in backend_contract_suite.cpp).
#pragma once

#include "backend_contract_suite.hpp"

namespace rustynet::backend_contract::checks {

// lifecycle_checks.cpp: invariants 1-3 and the lifecycle.
void name_and_capabilities(const BackendContractFactory& factory, CheckReport& report);
void start_once_per_lifecycle(const BackendContractFactory& factory, CheckReport& report);
void running_state_required(const BackendContractFactory& factory, CheckReport& report);
void shutdown_clears_state(const BackendContractFactory& factory, CheckReport& report);
void restart_lifecycles(const BackendContractFactory& factory, CheckReport& report);
void invalid_context_rejected(const BackendContractFactory& factory, CheckReport& report);

// peer_checks.cpp: invariant 4 and peer semantics.
void canonical_identifiers(const BackendContractFactory& factory, CheckReport& report);
void configure_peer_upserts(const BackendContractFactory& factory, CheckReport& report);
void configure_peer_rejections(const BackendContractFactory& factory, CheckReport& report);
void remove_peer_rules(const BackendContractFactory& factory, CheckReport& report);
void many_peers(const BackendContractFactory& factory, CheckReport& report);

// route_checks.cpp: invariant 5, exit mode.
void apply_routes_replaces_all(const BackendContractFactory& factory, CheckReport& report);
void apply_routes_rejections(const BackendContractFactory& factory, CheckReport& report);
void exit_mode_rules(const BackendContractFactory& factory, CheckReport& report);

// capability_checks.cpp: fail-closed capability contract, error precedence.
void capabilities_fail_closed(const BackendContractFactory& factory, CheckReport& report);
void error_precedence(const BackendContractFactory& factory, CheckReport& report);

// batch_checks.cpp: configure_peers == sequence of configure_peer.
void batch_mid_failure(const BackendContractFactory& factory, CheckReport& report);
void batch_equals_sequence(const BackendContractFactory& factory, CheckReport& report);

// property_check.cpp: model-based random sequences.
void property_model(const BackendContractFactory& factory, CheckReport& report);

}  // namespace rustynet::backend_contract::checks
