// SPDX-License-Identifier: Apache-2.0
// The reusable PacketFilterBackend contract suite: what a filter's test binary needs to instantiate it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include <gtest/gtest.h>

#include "rustynet/backend_api/packet_filter.hpp"

namespace rustynet::backend_contract {

// One PacketFilterBackend implementation under test, seen through the interface only.
struct PacketFilterContractFactory {
  // Part of every test name: [A-Za-z0-9_]+.
  std::string name;
  // A new filter object for the suite's one interface. Every check starts with remove(), so a
  // filter left behind by an earlier check (or run) never leaks into the next.
  std::function<std::unique_ptr<backend_api::PacketFilterBackend>()> make_filter;
  // Whether two objects from make_filter see the same installed filter (a kernel's). Enables the
  // checks that a filter outlives its owner and that a fresh object reports intact == false for a
  // filter it did not apply; they are skipped otherwise.
  bool instances_share_filter = false;
  // Model-based check: random specs, each asked this many random queries, compared with
  // backend_api::filter_rules_allow. A real filter asks the kernel per query: keep these modest.
  std::size_t random_specs = 200;
  std::size_t queries_per_spec = 200;
  std::uint64_t random_seed = 0x66696c746572ULL;
  // Rules in the "large spec" check.
  std::size_t large_spec_rules = 2000;
};

std::ostream& operator<<(std::ostream& out, const PacketFilterContractFactory& factory);

struct PacketFilterContractName {
  std::string operator()(const testing::TestParamInfo<PacketFilterContractFactory>& info) const {
    return info.param.name;
  }
};

// Each test makes its filters from GetParam().make_filter and removes what it installed.
class PacketFilterContractTest : public testing::TestWithParam<PacketFilterContractFactory> {
 protected:
  // A new filter with nothing installed (remove() already called and checked).
  std::unique_ptr<backend_api::PacketFilterBackend> clean_filter();
  void TearDown() override;
};

}  // namespace rustynet::backend_contract

// Instantiates the suite for a std::vector<PacketFilterContractFactory> at GLOBAL namespace scope:
//   RUSTYNET_INSTANTIATE_PACKET_FILTER_CONTRACT(Memory, my_ns::filter_factories());
// Tests are then named Memory/PacketFilterContractTest.<Check>/<factory>. The binary must link the
// `rustynet_packet_filter_contract_suite` object library (tests/backend_contract/CMakeLists.txt).
#define RUSTYNET_INSTANTIATE_PACKET_FILTER_CONTRACT(prefix, factories)                       \
  namespace rustynet::backend_contract {                                                     \
  INSTANTIATE_TEST_SUITE_P(prefix, PacketFilterContractTest, ::testing::ValuesIn(factories), \
                           PacketFilterContractName());                                      \
  }                                                                                          \
  static_assert(true, "require a trailing semicolon")
