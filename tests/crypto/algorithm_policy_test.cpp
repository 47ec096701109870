// SPDX-License-Identifier: Apache-2.0
// Algorithm policy: allow/deny, strict loading, exceptions at, just before and just after expiry.
#include "rustynet/crypto/algorithm_policy.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "manual_clock.hpp"

namespace rustynet::crypto {
namespace {

// 2027-01-31T00:00:00Z
constexpr std::int64_t kExpiry = 1801353600;

std::string policy_with_exception(const std::string& algorithm, const std::string& expires = "2027-01-31T00:00:00Z",
                                  const std::string& owner = "netops@example.org",
                                  const std::string& reason = "legacy monitoring endpoint") {
  return R"({"version": 1, "allow": ["ed25519", "x25519", "xchacha20-poly1305"], "exceptions": [{"algorithm": ")" +
         algorithm + R"(", "risk_owner": ")" + owner + R"(", "expires": ")" + expires + R"(", "reason": ")" + reason +
         R"("}]})";
}

AlgorithmPolicyErrorKind parse_error(const std::string& text) {
  auto policy = AlgorithmPolicy::parse(text);
  if (policy.has_value()) {
    ADD_FAILURE() << "policy unexpectedly loaded: " << text;
    return AlgorithmPolicyErrorKind::kMalformed;
  }
  return policy.error().kind;
}

TEST(AlgorithmPolicyTest, TimestampParsing) {
  auto expiry = parse_utc_timestamp("2027-01-31T00:00:00Z");
  ASSERT_TRUE(expiry.has_value());
  EXPECT_EQ(expiry->seconds, kExpiry);
  EXPECT_EQ(parse_utc_timestamp("1970-01-01T00:00:00Z")->seconds, 0);
  EXPECT_EQ(parse_utc_timestamp("2024-02-29T23:59:59Z")->seconds, 1709251199);
  EXPECT_EQ(format_utc_timestamp(base::UnixTime{kExpiry}), "2027-01-31T00:00:00Z");
  EXPECT_EQ(format_utc_timestamp(base::UnixTime{1709251199}), "2024-02-29T23:59:59Z");
  for (const char* bad : {"2027-01-31", "2027-01-31T00:00:00", "2027-01-31T00:00:00+00:00", "2027-13-01T00:00:00Z",
                          "2027-02-29T00:00:00Z", "2027-01-32T00:00:00Z", "2027-01-31T24:00:00Z",
                          "2027-01-31T00:60:00Z", "2027-01-31T00:00:60Z", "1969-12-31T23:59:59Z",
                          "2027-01-3aT00:00:00Z", " 2027-01-31T00:00:00Z", "2027-01-31t00:00:00Z"}) {
    EXPECT_FALSE(parse_utc_timestamp(bad).has_value()) << bad;
  }
}

TEST(AlgorithmPolicyTest, RegistryClassifiesSpecLists) {
  for (const char* allowed : {"tls1.3", "ed25519", "sha-256", "sha-512", "blake2b", "blake2s", "hkdf-sha256",
                              "argon2id", "aes-256-gcm", "xchacha20-poly1305"}) {
    EXPECT_EQ(classify_algorithm(allowed), AlgorithmClass::kBaseline) << allowed;
  }
  for (const char* denied :
       {"md5", "sha-1", "rc4", "des", "3des", "bf-cbc", "aes-128-cbc", "aes-256-cbc", "camellia-128-cbc", "dh-1024",
        "dh-2047", "dh-512", "static-session-key", "protocol-downgrade", "tls1.0", "tls1.1", "ssl3"}) {
    EXPECT_EQ(classify_algorithm(denied), AlgorithmClass::kDenied) << denied;
  }
  for (const char* compat : {"tls1.2", "dh-2048", "dh-4096", "ffdhe2048", "rsa-2048"}) {
    EXPECT_EQ(classify_algorithm(compat), AlgorithmClass::kCompatibility) << compat;
  }
  for (const char* unknown : {"", "ED25519", "sha1", "dh-", "dh-0", "dh-02048", "dh-abc", "dh-99999", "foo"}) {
    EXPECT_FALSE(classify_algorithm(unknown).has_value()) << unknown;
  }
  EXPECT_FALSE(registered_algorithms(AlgorithmClass::kDenied).empty());
}

TEST(AlgorithmPolicyTest, BaselineAllowsAllowlistAndDeniesTheRest) {
  const AlgorithmPolicy policy = AlgorithmPolicy::baseline();
  const base::UnixTime now{1800000000};
  for (auto name : registered_algorithms(AlgorithmClass::kBaseline)) {
    EXPECT_EQ(policy.evaluate(name, now).verdict, AlgorithmVerdict::kAllowed) << name;
  }
  for (auto name : registered_algorithms(AlgorithmClass::kDenied)) {
    EXPECT_EQ(policy.evaluate(name, now).verdict, AlgorithmVerdict::kDenied) << name;
  }
  for (auto name : registered_algorithms(AlgorithmClass::kCompatibility)) {
    EXPECT_EQ(policy.evaluate(name, now).verdict, AlgorithmVerdict::kDenied) << name;
  }
  EXPECT_EQ(policy.evaluate("unknown-cipher", now).verdict, AlgorithmVerdict::kDenied);
  EXPECT_TRUE(policy.warnings(now).empty());
}

TEST(AlgorithmPolicyTest, LoadsValidPolicy) {
  auto policy = AlgorithmPolicy::parse(R"({"version": 1, "allow": ["ed25519", "tls1.3"]})");
  ASSERT_TRUE(policy.has_value()) << policy.error();
  const base::UnixTime now{1800000000};
  EXPECT_EQ(policy->evaluate("ed25519", now).verdict, AlgorithmVerdict::kAllowed);
  EXPECT_EQ(policy->evaluate("tls1.3", now).verdict, AlgorithmVerdict::kAllowed);
  // Baseline but not enabled by this policy.
  EXPECT_EQ(policy->evaluate("aes-256-gcm", now).verdict, AlgorithmVerdict::kDenied);
  EXPECT_EQ(policy->allowed().size(), 2U);
}

TEST(AlgorithmPolicyTest, LoadFailsClosed) {
  EXPECT_EQ(parse_error(R"({"version": 2, "allow": ["ed25519"]})"), AlgorithmPolicyErrorKind::kUnsupportedVersion);
  EXPECT_EQ(parse_error(R"({"version": 0, "allow": ["ed25519"]})"), AlgorithmPolicyErrorKind::kUnsupportedVersion);
  EXPECT_EQ(parse_error(R"({"allow": ["ed25519"]})"), AlgorithmPolicyErrorKind::kMalformed);
  EXPECT_EQ(parse_error(R"({"version": "1", "allow": ["ed25519"]})"), AlgorithmPolicyErrorKind::kMalformed);
  EXPECT_EQ(parse_error(R"({"version": 1})"), AlgorithmPolicyErrorKind::kMalformed);
  EXPECT_EQ(parse_error(R"({"version": 1, "allow": "ed25519"})"), AlgorithmPolicyErrorKind::kMalformed);
  EXPECT_EQ(parse_error(R"({"version": 1, "allow": [1]})"), AlgorithmPolicyErrorKind::kMalformed);
  EXPECT_EQ(parse_error(R"({"version": 1, "allow": ["ed25519"], "alow": []})"), AlgorithmPolicyErrorKind::kMalformed);
  EXPECT_EQ(parse_error(R"({"version": 1, "version": 1, "allow": []})"), AlgorithmPolicyErrorKind::kMalformed);
  EXPECT_EQ(parse_error(R"({"version": 1, "allow": []} trailing)"), AlgorithmPolicyErrorKind::kMalformed);
  EXPECT_EQ(parse_error(R"({"version": 1, "allow": ["ed25519", "ed25519"]})"), AlgorithmPolicyErrorKind::kMalformed);
  EXPECT_EQ(parse_error(R"({"version": 1, "allow": ["ed25519", "chacha21"]})"),
            AlgorithmPolicyErrorKind::kUnknownAlgorithm);
  // Every hard-denied algorithm fails the load wherever it appears.
  for (auto name : registered_algorithms(AlgorithmClass::kDenied)) {
    const std::string denied(name);
    EXPECT_EQ(parse_error(R"({"version": 1, "allow": [")" + denied + R"("]})"),
              AlgorithmPolicyErrorKind::kDeniedAlgorithm)
        << denied;
    EXPECT_EQ(parse_error(policy_with_exception(denied)), AlgorithmPolicyErrorKind::kDeniedAlgorithm) << denied;
  }
  EXPECT_EQ(parse_error(R"({"version": 1, "allow": ["dh-1024"]})"), AlgorithmPolicyErrorKind::kDeniedAlgorithm);
  // Compatibility algorithms cannot be simply allowed.
  EXPECT_EQ(parse_error(R"({"version": 1, "allow": ["tls1.2"]})"), AlgorithmPolicyErrorKind::kNotAllowed);
}

TEST(AlgorithmPolicyTest, ExceptionsMustBeComplete) {
  EXPECT_EQ(parse_error(policy_with_exception("tls1.2", "2027-01-31")), AlgorithmPolicyErrorKind::kInvalidException);
  EXPECT_EQ(parse_error(policy_with_exception("tls1.2", "2027-01-31T00:00:00Z", "")),
            AlgorithmPolicyErrorKind::kInvalidException);
  EXPECT_EQ(parse_error(policy_with_exception("tls1.2", "2027-01-31T00:00:00Z", "owner", "")),
            AlgorithmPolicyErrorKind::kInvalidException);
  EXPECT_EQ(parse_error(policy_with_exception("ed25519")), AlgorithmPolicyErrorKind::kInvalidException);
  EXPECT_EQ(parse_error(policy_with_exception("no-such-algorithm")), AlgorithmPolicyErrorKind::kUnknownAlgorithm);
  EXPECT_EQ(parse_error(R"({"version": 1, "allow": [], "exceptions": [{"algorithm": "tls1.2",
      "expires": "2027-01-31T00:00:00Z", "reason": "r"}]})"),
            AlgorithmPolicyErrorKind::kInvalidException);
  EXPECT_EQ(parse_error(R"({"version": 1, "allow": [], "exceptions": [{"algorithm": "tls1.2", "risk_owner": "o",
      "expires": "2027-01-31T00:00:00Z", "reason": "r", "extra": true}]})"),
            AlgorithmPolicyErrorKind::kMalformed);
  EXPECT_EQ(parse_error(R"({"version": 1, "allow": [], "exceptions": [
      {"algorithm": "tls1.2", "risk_owner": "o", "expires": "2027-01-31T00:00:00Z", "reason": "r"},
      {"algorithm": "tls1.2", "risk_owner": "o", "expires": "2028-01-31T00:00:00Z", "reason": "r"}]})"),
            AlgorithmPolicyErrorKind::kInvalidException);
  EXPECT_EQ(parse_error(R"({"version": 1, "allow": [], "exceptions": {}})"), AlgorithmPolicyErrorKind::kMalformed);
}

TEST(AlgorithmPolicyTest, ExceptionWarnsBeforeExpiryAndDeniesAtAndAfter) {
  auto policy = AlgorithmPolicy::parse(policy_with_exception("tls1.2"));
  ASSERT_TRUE(policy.has_value()) << policy.error();
  ASSERT_EQ(policy->exceptions().size(), 1U);
  EXPECT_EQ(policy->exceptions()[0].expires.seconds, kExpiry);

  const auto well_before = policy->evaluate("tls1.2", base::UnixTime{kExpiry - 86400});
  EXPECT_EQ(well_before.verdict, AlgorithmVerdict::kAllowedByException);
  EXPECT_NE(well_before.message.find("netops@example.org"), std::string::npos);
  EXPECT_NE(well_before.message.find("2027-01-31T00:00:00Z"), std::string::npos);
  EXPECT_NE(well_before.message.find("legacy monitoring endpoint"), std::string::npos);

  EXPECT_EQ(policy->evaluate("tls1.2", base::UnixTime{kExpiry - 1}).verdict, AlgorithmVerdict::kAllowedByException);
  EXPECT_EQ(policy->evaluate("tls1.2", base::UnixTime{kExpiry}).verdict, AlgorithmVerdict::kDenied);
  EXPECT_EQ(policy->evaluate("tls1.2", base::UnixTime{kExpiry + 1}).verdict, AlgorithmVerdict::kDenied);
  // The exception covers only its own algorithm.
  EXPECT_EQ(policy->evaluate("rsa-2048", base::UnixTime{kExpiry - 1}).verdict, AlgorithmVerdict::kDenied);

  auto before = policy->warnings(base::UnixTime{kExpiry - 1});
  ASSERT_EQ(before.size(), 1U);
  EXPECT_NE(before[0].find("in force"), std::string::npos);
  auto after = policy->warnings(base::UnixTime{kExpiry});
  ASSERT_EQ(after.size(), 1U);
  EXPECT_NE(after[0].find("expired"), std::string::npos);
}

TEST(AlgorithmPolicyTest, StartupCheckUsesInjectedClock) {
  auto policy = AlgorithmPolicy::parse(policy_with_exception("tls1.2"));
  ASSERT_TRUE(policy.has_value());
  rustynet::testing::ManualClock clock(kExpiry - 1);
  const std::vector<std::string> in_use = {"ed25519", "tls1.2", "xchacha20-poly1305"};
  std::vector<std::string> warnings;
  ASSERT_TRUE(policy->check_in_use(in_use, clock, warnings).has_value());
  ASSERT_EQ(warnings.size(), 1U);
  EXPECT_NE(warnings[0].find("tls1.2"), std::string::npos);

  clock.set_wall(kExpiry);
  warnings.clear();
  auto at_expiry = policy->check_in_use(in_use, clock, warnings);
  ASSERT_FALSE(at_expiry.has_value());
  EXPECT_EQ(at_expiry.error().kind, AlgorithmPolicyErrorKind::kDeniedAlgorithm);
  EXPECT_EQ(at_expiry.error().path, "tls1.2");

  clock.set_wall(kExpiry + 1);
  EXPECT_EQ(policy->check_in_use(in_use, clock, warnings).error().kind, AlgorithmPolicyErrorKind::kDeniedAlgorithm);

  // An unusable wall clock honours no exception (fail closed) but baseline use still passes.
  clock.set_wall(kExpiry - 100);
  clock.set_wall_usable(false);
  EXPECT_EQ(policy->check_in_use(in_use, clock, warnings).error().kind, AlgorithmPolicyErrorKind::kDeniedAlgorithm);
  const std::vector<std::string> baseline_only = {"ed25519", "x25519"};
  EXPECT_TRUE(policy->check_in_use(baseline_only, clock, warnings).has_value());

  clock.set_wall_usable(true);
  const std::vector<std::string> with_md5 = {"ed25519", "md5"};
  EXPECT_EQ(policy->check_in_use(with_md5, clock, warnings).error().kind, AlgorithmPolicyErrorKind::kDeniedAlgorithm);
  const std::vector<std::string> with_unknown = {"rot13"};
  EXPECT_EQ(policy->check_in_use(with_unknown, clock, warnings).error().kind,
            AlgorithmPolicyErrorKind::kUnknownAlgorithm);
  const std::vector<std::string> not_enabled = {"aes-256-gcm"};
  EXPECT_EQ(policy->check_in_use(not_enabled, clock, warnings).error().kind, AlgorithmPolicyErrorKind::kNotAllowed);
}

}  // namespace
}  // namespace rustynet::crypto
