// SPDX-License-Identifier: Apache-2.0
// Only TLS 1.3 (min = max) with allowlisted TLS 1.3 suites is a valid control-plane policy.
#include "rustynet/control/tls_policy.hpp"

#include <gtest/gtest.h>

namespace rustynet::control {
namespace {

TEST(TlsPolicyTest, OnlyTls13Accepted) {
  EXPECT_TRUE(validate(TlsPolicy{}).has_value());
  EXPECT_FALSE(validate(TlsPolicy{TlsVersion::kTls12, TlsVersion::kTls13}).has_value());
  EXPECT_FALSE(validate(TlsPolicy{TlsVersion::kTls13, TlsVersion::kTls12}).has_value());
  EXPECT_FALSE(validate(TlsPolicy{TlsVersion::kTls11, TlsVersion::kTls11}).has_value());
  EXPECT_FALSE(validate(TlsPolicy{TlsVersion::kTls10, TlsVersion::kTls13}).has_value());
}

TEST(TlsPolicyTest, OnlyAllowlistedTls13Suites) {
  TlsPolicy policy;
  policy.cipher_suites = {"TLS_AES_128_GCM_SHA256"};
  EXPECT_TRUE(validate(policy).has_value());
  policy.cipher_suites = {"ECDHE-RSA-AES128-GCM-SHA256"};  // a TLS 1.2 suite
  EXPECT_FALSE(validate(policy).has_value());
  policy.cipher_suites = {"TLS_AES_128_CCM_8_SHA256"};  // TLS 1.3 but not allowlisted
  EXPECT_FALSE(validate(policy).has_value());
  policy.cipher_suites.clear();
  EXPECT_FALSE(validate(policy).has_value());
}

TEST(TlsPolicyTest, ParsesVersionsStrictly) {
  EXPECT_EQ(parse_tls_version("1.3").value(), TlsVersion::kTls13);
  EXPECT_EQ(parse_tls_version("1.2").value(), TlsVersion::kTls12);
  EXPECT_FALSE(parse_tls_version("TLSv1.3").has_value());
  EXPECT_FALSE(parse_tls_version("").has_value());
}

}  // namespace
}  // namespace rustynet::control
