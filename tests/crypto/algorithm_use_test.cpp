// SPDX-License-Identifier: Apache-2.0
// Facility algorithm lists name only registered baseline algorithms; the startup check refuses a
// policy file that does not enable what is in use, a broken file, and expired exceptions.
#include "rustynet/crypto/algorithm_use.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "manual_clock.hpp"
#include "temp_dir.hpp"

namespace rustynet::crypto {
namespace {

using FixedClock = testing::ManualClock;

std::string write(testing::TempDir& dir, const std::string& name, const std::string& text) {
  const auto path = dir.file(name);
  std::ofstream(path) << text;
  return path;
}

TEST(AlgorithmUseTest, EveryFacilityNamesRegisteredBaselineAlgorithms) {
  for (const auto& names : {key_custody_algorithms(), ed25519_algorithms(), x25519_algorithms(),
                            signed_envelope_algorithms(), trust_state_algorithms(), relay_ticket_algorithms()}) {
    ASSERT_FALSE(names.empty());
    for (const auto& name : names) {
      EXPECT_EQ(classify_algorithm(name), AlgorithmClass::kBaseline) << name;
    }
  }
}

TEST(AlgorithmUseTest, AddAlgorithmsKeepsOrderWithoutDuplicates) {
  AlgorithmNames names{"ed25519"};
  add_algorithms(names, {"sha-256", "ed25519", "blake2b"});
  EXPECT_EQ(names, (AlgorithmNames{"ed25519", "sha-256", "blake2b"}));
}

TEST(AlgorithmUseTest, BaselineWithoutPolicyFile) {
  const FixedClock clock(1800000000);
  auto check = check_algorithms_in_use(std::nullopt, signed_envelope_algorithms(), clock);
  ASSERT_TRUE(check.has_value()) << check.error().describe();
  EXPECT_FALSE(check->policy.has_value());
  EXPECT_TRUE(check->warnings.empty());
}

TEST(AlgorithmUseTest, PolicyThatDoesNotEnableAnAlgorithmInUseRefuses) {
  testing::TempDir dir;
  const FixedClock clock(1800000000);
  const auto path = write(dir, "policy.json", R"({"version": 1, "allow": ["ed25519"]})");
  auto check = check_algorithms_in_use(path, signed_envelope_algorithms(), clock);
  ASSERT_FALSE(check.has_value());
  EXPECT_EQ(check.error().kind, AlgorithmPolicyErrorKind::kNotAllowed) << check.error().describe();
  EXPECT_NE(check.error().describe().find("sha-256"), std::string::npos) << check.error().describe();
  const auto full = write(dir, "full.json", R"({"version": 1, "allow": ["ed25519", "sha-256"]})");
  EXPECT_TRUE(check_algorithms_in_use(full, signed_envelope_algorithms(), clock).has_value());
}

TEST(AlgorithmUseTest, UnreadableOrBrokenPolicyFileRefuses) {
  testing::TempDir dir;
  const FixedClock clock(1800000000);
  auto missing = check_algorithms_in_use(dir.file("absent.json"), x25519_algorithms(), clock);
  ASSERT_FALSE(missing.has_value());
  EXPECT_NE(missing.error().describe().find("absent.json"), std::string::npos);
  const auto broken = write(dir, "broken.json", R"({"version": 1, "allow": ["x25519"], "extra": 1})");
  auto parsed = check_algorithms_in_use(broken, x25519_algorithms(), clock);
  ASSERT_FALSE(parsed.has_value());
  EXPECT_EQ(parsed.error().kind, AlgorithmPolicyErrorKind::kMalformed);
}

TEST(AlgorithmUseTest, CompatibilityAlgorithmOnlyWhileItsExceptionLasts) {
  testing::TempDir dir;
  const auto path = write(dir, "policy.json", R"({"version": 1, "allow": ["tls1.3"], "exceptions": [
      {"algorithm": "aes-128-gcm", "risk_owner": "netops@example.org", "expires": "2027-01-31T00:00:00Z",
       "reason": "migration"}]})");
  const AlgorithmNames in_use{"tls1.3", "aes-128-gcm"};
  const std::int64_t expiry = 1801353600;  // 2027-01-31T00:00:00Z
  auto before = check_algorithms_in_use(path, in_use, FixedClock(expiry - 1));
  ASSERT_TRUE(before.has_value()) << before.error().describe();
  EXPECT_EQ(before->warnings.size(), 1U);
  auto at = check_algorithms_in_use(path, in_use, FixedClock(expiry));
  ASSERT_FALSE(at.has_value());
  EXPECT_EQ(at.error().kind, AlgorithmPolicyErrorKind::kDeniedAlgorithm) << at.error().describe();
}

TEST(AlgorithmUseTest, DeniedOrUnknownAlgorithmInUseRefuses) {
  const FixedClock clock(1800000000);
  EXPECT_FALSE(check_algorithms_in_use(std::nullopt, {"sha-1"}, clock).has_value());
  EXPECT_FALSE(check_algorithms_in_use(std::nullopt, {"tls-suite:TLS_AES_128_CCM_8_SHA256"}, clock).has_value());
}

}  // namespace
}  // namespace rustynet::crypto
