// SPDX-License-Identifier: Apache-2.0
// Capability flags default to unsupported (fail closed) and summarise deterministically.
#include "rustynet/backend_api/capabilities.hpp"

#include <gtest/gtest.h>

namespace rustynet::backend_api {
namespace {

TEST(CapabilitiesTest, DefaultsToNothingSupported) {
  const BackendCapabilities none;
  EXPECT_EQ(describe(none), "none");
  EXPECT_EQ(describe(BackendCapabilities{true, false, true, true}), "roaming,lan_routes,ipv6");
}

}  // namespace
}  // namespace rustynet::backend_api
