// SPDX-License-Identifier: Apache-2.0
// Only TLS 1.3 (min = max) with allowlisted TLS 1.3 suites is a valid control-plane policy.
#include "rustynet/control/tls_policy.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

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
  policy.cipher_suites = {"TLS_CHACHA20_POLY1305_SHA256"};
  EXPECT_TRUE(validate(policy).has_value());
  policy.cipher_suites = {"TLS_AES_128_GCM_SHA256"};  // compatibility (aes-128-gcm): not by default
  EXPECT_FALSE(validate(policy).has_value());
  policy.cipher_suites = {"ECDHE-RSA-AES128-GCM-SHA256"};  // a TLS 1.2 suite
  EXPECT_FALSE(validate(policy).has_value());
  policy.cipher_suites = {"TLS_AES_128_CCM_8_SHA256"};  // TLS 1.3 but not allowlisted
  EXPECT_FALSE(validate(policy).has_value());
  policy.cipher_suites.clear();
  EXPECT_FALSE(validate(policy).has_value());
}

TEST(TlsPolicyTest, GroupsAndSchemesAllowlisted) {
  TlsPolicy policy;
  EXPECT_EQ(policy.groups, std::vector<std::string>{"X25519"});
  EXPECT_EQ(policy.signature_schemes, std::vector<std::string>{"ed25519"});
  for (const char* group : {"ffdhe2048", "P-256", "X448", ""}) {
    policy.groups = {"X25519", group};
    EXPECT_FALSE(validate(policy).has_value()) << group;
  }
  policy = TlsPolicy{};
  policy.groups.clear();
  EXPECT_FALSE(validate(policy).has_value());
  policy = TlsPolicy{};
  for (const char* scheme : {"ecdsa_secp256r1_sha256", "rsa_pss_rsae_sha256", "ed448"}) {
    policy.signature_schemes = {scheme};
    EXPECT_FALSE(validate(policy).has_value()) << scheme;
  }
  policy.signature_schemes.clear();
  EXPECT_FALSE(validate(policy).has_value());
}

TEST(TlsPolicyTest, AlgorithmNamesOfTheDefaultPolicy) {
  EXPECT_EQ(tls_algorithm_names(TlsPolicy{}),
            (std::vector<std::string>{"tls1.3", "aes-256-gcm", "chacha20-poly1305", "x25519", "ed25519"}));
}

TEST(TlsPolicyTest, ParsesVersionsStrictly) {
  EXPECT_EQ(parse_tls_version("1.3").value(), TlsVersion::kTls13);
  EXPECT_EQ(parse_tls_version("1.2").value(), TlsVersion::kTls12);
  EXPECT_FALSE(parse_tls_version("TLSv1.3").has_value());
  EXPECT_FALSE(parse_tls_version("").has_value());
}

}  // namespace
}  // namespace rustynet::control
