// SPDX-License-Identifier: Apache-2.0
// Proves the contract suite bites: each deliberately broken backend fails the checks aimed at
// its defect, including the model-based property test, which also shrinks its counterexample.
#include <gtest/gtest.h>

#include <algorithm>
#include <iostream>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "backend_contract_suite.hpp"
#include "broken_backends.hpp"
#include "reference_factory.hpp"

namespace rustynet::backend_contract {

// This binary runs checks directly instead of instantiating the parameterised suite.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(BackendContractTest);

namespace {

template <class Broken>
BackendContractFactory broken_factory(backend_api::BackendCapabilities caps) {
  BackendContractFactory factory = reference_factory("broken", caps, 2000);
  factory.make_backend = [caps]() -> std::unique_ptr<backend_api::TunnelBackend> {
    return std::make_unique<Broken>(caps);
  };
  return factory;
}

std::set<std::string> failing_checks(const BackendContractFactory& factory) {
  std::set<std::string> failing;
  for (const ContractCheck& check : contract_checks()) {
    CheckReport report;
    check.run(factory, report);
    if (!report.ok()) {
      failing.insert(check.name);
    }
  }
  return failing;
}

std::size_t parse_count(std::string_view text) {
  std::size_t value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') {
      break;
    }
    value = value * 10 + static_cast<std::size_t>(c - '0');
  }
  return value;
}

// Runs the property test alone and returns its report, asserting that it failed with a seed and
// a shrunk sequence of at most `max_ops` operations.
void expect_property_catches(const BackendContractFactory& factory, std::size_t max_ops) {
  const CheckReport report = run_contract_check(factory, "property_model");
  ASSERT_FALSE(report.ok()) << "the property test did not catch the broken backend";
  const std::string& text = report.failures().front();
  EXPECT_NE(text.find("property test failed for seed "), std::string::npos) << text;
  const auto at = text.find("minimal failing sequence (");
  ASSERT_NE(at, std::string::npos) << text;
  const std::size_t ops = parse_count(std::string_view(text).substr(at + 26));
  EXPECT_LE(ops, max_ops) << "shrinking left a long sequence:\n" << text;
  EXPECT_EQ(text.find("did not reproduce"), std::string::npos) << text;
  std::cout << "[ caught   ] " << text << "\n";
}

TEST(BrokenBackendsTest, ReferenceBackendPassesEveryCheck) {
  // Control: the unbroken decorator base is not flagged, so failures below are the defects'.
  EXPECT_TRUE(failing_checks(broken_factory<broken::Forwarding>(backend_api::BackendCapabilities{})).empty());
  EXPECT_TRUE(failing_checks(broken_factory<broken::Forwarding>(all_capabilities())).empty());
}

TEST(BrokenBackendsTest, IgnoringAnUnsupportedExitModeIsCaught) {
  const auto factory = broken_factory<broken::IgnoresUnsupportedExitMode>(backend_api::BackendCapabilities{});
  const auto failing = failing_checks(factory);
  EXPECT_TRUE(failing.contains("capabilities_fail_closed"));
  EXPECT_TRUE(failing.contains("property_model"));
  expect_property_catches(factory, 3);
}

TEST(BrokenBackendsTest, AppendingRoutesIsCaught) {
  const auto factory = broken_factory<broken::AppendsRoutes>(all_capabilities());
  const auto failing = failing_checks(factory);
  EXPECT_TRUE(failing.contains("apply_routes_replaces_all"));
  EXPECT_TRUE(failing.contains("property_model"));
  expect_property_catches(factory, 6);
}

TEST(BrokenBackendsTest, NotClearingPeersOnShutdownIsCaught) {
  const auto factory = broken_factory<broken::ForgetsToClearPeers>(all_capabilities());
  const auto failing = failing_checks(factory);
  EXPECT_TRUE(failing.contains("shutdown_clears_state"));
  EXPECT_TRUE(failing.contains("restart_lifecycles"));
  EXPECT_TRUE(failing.contains("property_model"));
  expect_property_catches(factory, 5);
}

TEST(BrokenBackendsTest, AllOrNothingBatchIsCaught) {
  const auto factory = broken_factory<broken::AllOrNothingBatch>(all_capabilities());
  const auto failing = failing_checks(factory);
  EXPECT_TRUE(failing.contains("batch_mid_failure"));
  EXPECT_TRUE(failing.contains("batch_equals_sequence"));
  EXPECT_TRUE(failing.contains("property_model"));
  expect_property_catches(factory, 4);
}

TEST(BrokenBackendsTest, PartiallyAppliedFailedCallIsCaught) {
  const auto factory = broken_factory<broken::PartialRouteApply>(all_capabilities());
  const auto failing = failing_checks(factory);
  EXPECT_TRUE(failing.contains("apply_routes_rejections"));
  EXPECT_TRUE(failing.contains("property_model"));
  expect_property_catches(factory, 5);
}

TEST(BrokenBackendsTest, VacuousPropertyRunIsCaught) {
  // Every context is invalid, so backend and model agree on every step (nothing ever starts):
  // the comparison alone would pass; the coverage requirement must not.
  BackendContractFactory factory = reference_factory("vacuous", all_capabilities(), 1000);
  factory.make_context = [](std::size_t index) {
    backend_api::RuntimeContext context = reference_context(index);
    context.mtu = 1;
    return context;
  };
  const CheckReport report = run_contract_check(factory, "property_model");
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.failures().front().find("property generator coverage: no successful start"), std::string::npos)
      << report.failures().front();
}

}  // namespace
}  // namespace rustynet::backend_contract
