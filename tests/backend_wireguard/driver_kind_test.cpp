// SPDX-License-Identifier: Apache-2.0
// Driver names parse strictly.
#include "rustynet/backend_wireguard/driver_kind.hpp"

#include <gtest/gtest.h>

namespace rustynet::backend_wireguard {
namespace {

TEST(DriverKindTest, ParsesOnlyKnownNames) {
  EXPECT_EQ(parse_driver_kind("kernel"), DriverKind::kKernel);
  EXPECT_EQ(parse_driver_kind("userspace"), DriverKind::kUserspace);
  EXPECT_FALSE(parse_driver_kind("Kernel").has_value());
  EXPECT_FALSE(parse_driver_kind("").has_value());
  EXPECT_EQ(to_string(DriverKind::kUserspace), "userspace");
}

}  // namespace
}  // namespace rustynet::backend_wireguard
