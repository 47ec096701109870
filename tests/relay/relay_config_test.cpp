// SPDX-License-Identifier: Apache-2.0
// RelayConfig: strict versioned JSON; unknown keys, bad versions, bad limits and bad keys rejected.
#include "rustynet/relay/relay_config.hpp"

#include <gtest/gtest.h>

#include "relay_test_support.hpp"

namespace rustynet::relay {
namespace {

std::string config(const std::string& extra = "", const std::string& version = "1") {
  const std::string key = testing::make_key(1).public_key().to_base64();
  return R"({"version": )" + version + R"(, "relay_id": "relay-1", "listen": "0.0.0.0:3478", "control_public_key": ")" +
         key + "\"" + extra + "}";
}

TEST(RelayConfigTest, MinimalConfigGetsSafeDefaults) {
  const auto parsed = parse_relay_config(config());
  ASSERT_TRUE(parsed.has_value()) << parsed.error();
  EXPECT_EQ(parsed->relay_id, "relay-1");
  EXPECT_EQ(parsed->listen.port, 3478);
  EXPECT_EQ(parsed->control_public_key, testing::make_key(1).public_key());
  EXPECT_EQ(parsed->limits.max_sessions, RelayLimits{}.max_sessions);
  EXPECT_EQ(parsed->stats_interval_seconds, 60U);
}

TEST(RelayConfigTest, LimitsOverride) {
  const auto parsed = parse_relay_config(
      config(R"(, "limits": {"max_sessions": 10, "max_sessions_per_node": 2}, "stats_interval_seconds": 0)"));
  ASSERT_TRUE(parsed.has_value()) << parsed.error();
  EXPECT_EQ(parsed->limits.max_sessions, 10U);
  EXPECT_EQ(parsed->limits.max_sessions_per_node, 2U);
  EXPECT_EQ(parsed->stats_interval_seconds, 0U);
}

TEST(RelayConfigTest, MetricsAreOptInLoopbackOnlyAndLogLevelIsChecked) {
  const auto plain = parse_relay_config(config());
  ASSERT_TRUE(plain.has_value()) << plain.error();
  EXPECT_FALSE(plain->metrics_listen.has_value());
  EXPECT_EQ(plain->log_level, base::LogLevel::kInfo);
  const auto on = parse_relay_config(config(R"(, "metrics": {"listen": "[::1]:9102"}, "log_level": "error")"));
  ASSERT_TRUE(on.has_value()) << on.error();
  ASSERT_TRUE(on->metrics_listen.has_value());
  EXPECT_EQ(on->metrics_listen->to_string(), "[::1]:9102");
  EXPECT_EQ(on->log_level, base::LogLevel::kError);
  for (const char* refused :
       {R"(, "metrics": {"listen": "0.0.0.0:9102"})", R"(, "metrics": {"listen": "10.1.2.3:9102"})",
        R"(, "metrics": {})", R"(, "metrics": {"listen": "127.0.0.1:9102", "x": 1})",
        R"(, "metrics": "127.0.0.1:9102")", R"(, "log_level": "trace")"}) {
    const auto parsed = parse_relay_config(config(refused));
    ASSERT_FALSE(parsed.has_value()) << refused;
    EXPECT_TRUE(parsed.error().starts_with("$.metrics") || parsed.error().starts_with("$.log_level")) << parsed.error();
  }
}

TEST(RelayConfigTest, RejectsWhatCouldSilentlyWeakenTheRelay) {
  EXPECT_FALSE(parse_relay_config(config("", "2")).has_value());
  EXPECT_FALSE(parse_relay_config(config(R"(, "limit": {})")).has_value());  // typo: unknown key
  EXPECT_FALSE(parse_relay_config(config(R"(, "limits": {"max_sesions": 1})")).has_value());
  EXPECT_FALSE(parse_relay_config(config(R"(, "limits": {"max_sessions": 0})")).has_value());
  EXPECT_FALSE(parse_relay_config(config(R"(, "limits": {"max_sessions": -1})")).has_value());
  EXPECT_FALSE(parse_relay_config(config(R"(, "limits": {"max_sessions": 99999999999})")).has_value());
  EXPECT_FALSE(parse_relay_config(config(R"(, "relay_id": "again")")).has_value());  // duplicate key
  EXPECT_FALSE(
      parse_relay_config(R"({"version": 1, "relay_id": "r", "listen": "0.0.0.0:1", "control_public_key": "AAAA"})")
          .has_value());
  auto bad_listen = config();
  bad_listen.replace(bad_listen.find("0.0.0.0:3478"), 12, "0.0.0.0");
  EXPECT_FALSE(parse_relay_config(bad_listen).has_value());
  auto bad_id = config();
  bad_id.replace(bad_id.find("relay-1"), 7, "relay 1");
  EXPECT_FALSE(parse_relay_config(bad_id).has_value());
  EXPECT_FALSE(parse_relay_config(config() + " {}").has_value());  // trailing bytes
}

}  // namespace
}  // namespace rustynet::relay
