// SPDX-License-Identifier: Apache-2.0
// Only TLS 1.3 (min = max) is a valid control-plane transport policy.
#include "rustynet/control/tls_policy.hpp"

#include <gtest/gtest.h>

namespace rustynet::control {
namespace {

TEST(TlsPolicyTest, OnlyTls13Accepted) {
  EXPECT_TRUE(validate(TlsPolicy{}).has_value());
  EXPECT_FALSE(validate(TlsPolicy{TlsVersion::kTls12, TlsVersion::kTls13}).has_value());
  EXPECT_FALSE(validate(TlsPolicy{TlsVersion::kTls13, TlsVersion::kTls12}).has_value());
}

}  // namespace
}  // namespace rustynet::control
