// SPDX-License-Identifier: Apache-2.0
// The default decision is deny.
#include "rustynet/policy/decision.hpp"

#include <gtest/gtest.h>

namespace rustynet::policy {
namespace {

TEST(DecisionTest, DefaultIsDeny) {
  const auto decision = Decision::default_deny();
  EXPECT_FALSE(decision.allowed());
  EXPECT_EQ(to_string(decision.reason), "default_deny");
}

}  // namespace
}  // namespace rustynet::policy
