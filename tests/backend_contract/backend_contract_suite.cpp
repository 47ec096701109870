// SPDX-License-Identifier: Apache-2.0
// Check registry and the parameterised test that runs every check for every instantiated backend.
#include "backend_contract_suite.hpp"

#include <array>

#include "contract_checks.hpp"

namespace rustynet::backend_contract {
namespace {

constexpr std::array kChecks{
    ContractCheck{"name_and_capabilities", &checks::name_and_capabilities},
    ContractCheck{"start_once_per_lifecycle", &checks::start_once_per_lifecycle},
    ContractCheck{"running_state_required", &checks::running_state_required},
    ContractCheck{"shutdown_clears_state", &checks::shutdown_clears_state},
    ContractCheck{"restart_lifecycles", &checks::restart_lifecycles},
    ContractCheck{"invalid_context_rejected", &checks::invalid_context_rejected},
    ContractCheck{"canonical_identifiers", &checks::canonical_identifiers},
    ContractCheck{"configure_peer_upserts", &checks::configure_peer_upserts},
    ContractCheck{"configure_peer_rejections", &checks::configure_peer_rejections},
    ContractCheck{"remove_peer_rules", &checks::remove_peer_rules},
    ContractCheck{"many_peers", &checks::many_peers},
    ContractCheck{"apply_routes_replaces_all", &checks::apply_routes_replaces_all},
    ContractCheck{"apply_routes_rejections", &checks::apply_routes_rejections},
    ContractCheck{"exit_mode_rules", &checks::exit_mode_rules},
    ContractCheck{"capabilities_fail_closed", &checks::capabilities_fail_closed},
    ContractCheck{"error_precedence", &checks::error_precedence},
    ContractCheck{"batch_mid_failure", &checks::batch_mid_failure},
    ContractCheck{"batch_equals_sequence", &checks::batch_equals_sequence},
    ContractCheck{"property_model", &checks::property_model},
};

}  // namespace

std::span<const ContractCheck> contract_checks() { return kChecks; }

CheckReport run_contract_check(const BackendContractFactory& factory, std::string_view check_name) {
  CheckReport report;
  for (const ContractCheck& check : kChecks) {
    if (check_name == check.name) {
      check.run(factory, report);
      return report;
    }
  }
  report.fail("no contract check named '" + std::string(check_name) + "'");
  return report;
}

std::ostream& operator<<(std::ostream& out, const ContractCase& contract_case) {
  return out << (contract_case.factory ? contract_case.factory->name : std::string("?")) << "/"
             << (contract_case.check != nullptr ? contract_case.check->name : "?");
}

std::vector<ContractCase> contract_cases(std::vector<BackendContractFactory> factories) {
  std::vector<ContractCase> cases;
  for (BackendContractFactory& factory : factories) {
    auto shared = std::make_shared<const BackendContractFactory>(std::move(factory));
    for (const ContractCheck& check : kChecks) {
      cases.push_back(ContractCase{shared, &check});
    }
  }
  return cases;
}

std::string ContractCaseName::operator()(const testing::TestParamInfo<ContractCase>& info) const {
  return info.param.factory->name + "_" + info.param.check->name;
}

TEST_P(BackendContractTest, Holds) {
  const ContractCase& contract_case = GetParam();
  ASSERT_TRUE(contract_case.factory->make_backend) << "factory.make_backend is empty";
  ASSERT_TRUE(contract_case.factory->make_context) << "factory.make_context is empty";
  CheckReport report;
  contract_case.check->run(*contract_case.factory, report);
  for (const std::string& failure : report.failures()) {
    ADD_FAILURE() << contract_case << ": " << failure;
  }
}

}  // namespace rustynet::backend_contract
