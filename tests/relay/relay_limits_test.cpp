// SPDX-License-Identifier: Apache-2.0
// Relay limits: defaults are valid; zero or inconsistent limits are rejected.
#include "rustynet/relay/relay_limits.hpp"

#include <gtest/gtest.h>

namespace rustynet::relay {
namespace {

TEST(RelayLimitsTest, DefaultsValidZeroAndInconsistentRejected) {
  EXPECT_TRUE(validate(RelayLimits{}).has_value());
  RelayLimits zero;
  zero.max_sessions = 0;
  EXPECT_FALSE(validate(zero).has_value());
  RelayLimits inconsistent;
  inconsistent.max_sessions_per_node = inconsistent.max_sessions + 1;
  EXPECT_FALSE(validate(inconsistent).has_value());
}

}  // namespace
}  // namespace rustynet::relay
