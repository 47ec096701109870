// SPDX-License-Identifier: Apache-2.0
// The reusable TunnelBackend contract suite: what a backend's test binary needs to instantiate it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <ostream>
#include <span>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "rustynet/backend_api/capabilities.hpp"
#include "rustynet/backend_api/peer_config.hpp"
#include "rustynet/backend_api/runtime_context.hpp"
#include "rustynet/backend_api/tunnel_backend.hpp"

namespace rustynet::backend_contract {

// Everything the suite needs to know about one backend. See docs/backend-contract.md
// ("Adding a backend") for a worked example.
struct BackendContractFactory {
  // Part of every test name: [A-Za-z0-9_]+.
  std::string name;
  // A fresh, not running backend. Called many times (every check and every property sequence
  // uses new ones); two backends from it may exist at the same time.
  std::function<std::unique_ptr<backend_api::TunnelBackend>()> make_backend;
  // A valid context. `index` is unique across the whole test run, so a backend whose contexts
  // must differ (interface names in one network namespace) derives them from it. The suite may
  // start several backends at once with contexts from distinct indices.
  std::function<backend_api::RuntimeContext(std::size_t index)> make_context;
  // What capabilities() must report; the suite also derives which requests must fail closed.
  backend_api::BackendCapabilities expected_capabilities;
  // Distinct, non-zero peer keys for distinct indices. Empty: the suite's deterministic bytes
  // (any 32 non-zero bytes are a valid opaque key for the contract).
  std::function<backend_api::PeerPublicKey(std::size_t index)> make_peer_key;

  // Model-based property test: seeded random operation sequences compared step by step with
  // the suite's reference model. Real (slow) backends use a few dozen sequences.
  std::size_t property_sequences = 10000;
  std::size_t property_max_steps = 40;
  std::uint64_t property_seed = 0x7275737479ULL;
  // Upper bound on backend runs spent shrinking a failing sequence.
  std::size_t property_shrink_budget = 3000;
  // Batched-vs-single equivalence: number of random batch scenarios.
  std::size_t batch_scenarios = 300;
  // Peers configured in the "many peers" checks (a real backend may want fewer).
  std::size_t bulk_peers = 200;
};

// Failures found by one check, collected rather than asserted so that the same checks can be
// run against deliberately broken backends by a test that expects them to fail.
class CheckReport {
 public:
  void fail(std::string message) { failures_.push_back(std::move(message)); }
  [[nodiscard]] bool ok() const noexcept { return failures_.empty(); }
  [[nodiscard]] const std::vector<std::string>& failures() const noexcept { return failures_; }

 private:
  std::vector<std::string> failures_;
};

// One named contract check.
struct ContractCheck {
  const char* name;  // [a-z0-9_]+
  void (*run)(const BackendContractFactory& factory, CheckReport& report);
};

// Every check of the contract, in a stable order (lifecycle, invariants, capabilities, error
// kinds, idempotence/ordering, batched equivalence, model-based property test).
[[nodiscard]] std::span<const ContractCheck> contract_checks();

// Runs one named check (for tests that run checks directly). Unknown name: a failure.
[[nodiscard]] CheckReport run_contract_check(const BackendContractFactory& factory, std::string_view check_name);

// gtest parameter: one backend x one check.
struct ContractCase {
  std::shared_ptr<const BackendContractFactory> factory;
  const ContractCheck* check = nullptr;
};
std::ostream& operator<<(std::ostream& out, const ContractCase& contract_case);

[[nodiscard]] std::vector<ContractCase> contract_cases(std::vector<BackendContractFactory> factories);

struct ContractCaseName {
  std::string operator()(const testing::TestParamInfo<ContractCase>& info) const;
};

class BackendContractTest : public testing::TestWithParam<ContractCase> {};

}  // namespace rustynet::backend_contract

// Instantiates the whole suite for a vector<BackendContractFactory>. Use at GLOBAL namespace
// scope (the macro opens the suite's namespace itself), e.g. in tests/NAME/NAME_contract_test.cpp:
//   RUSTYNET_INSTANTIATE_BACKEND_CONTRACT(Memory, my_test_ns::my_factories());
// Tests are then named  Memory/BackendContractTest.Holds/<factory>_<check>. The binary must link
// the `rustynet_backend_contract_suite` object library (tests/backend_contract/CMakeLists.txt),
// which carries the TEST_P definitions.
#define RUSTYNET_INSTANTIATE_BACKEND_CONTRACT(prefix, factories)                                        \
  namespace rustynet::backend_contract {                                                                \
  INSTANTIATE_TEST_SUITE_P(prefix, BackendContractTest, ::testing::ValuesIn(contract_cases(factories)), \
                           ContractCaseName());                                                         \
  }                                                                                                     \
  static_assert(true, "require a trailing semicolon")
