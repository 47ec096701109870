// SPDX-License-Identifier: Apache-2.0
// rustynet-control configuration and composition: TLS < 1.3 refuses startup; the composed service serves.
#include "service_config.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <nlohmann/json.hpp>

#include <functional>
#include <sstream>
#include <vector>

#include "control_server_main.hpp"
#include "control_service.hpp"
#include "https_client.hpp"
#include "manual_clock.hpp"
#include "rustynet/base/file_io.hpp"
#include "server_harness.hpp"
#include "temp_dir.hpp"
#include "test_cert.hpp"

namespace rustynet::apps::control_server {
namespace {

nlohmann::json valid_config(const testing::TempDir& dir, const std::string& public_key) {
  return {
      {"version", 1},
      {"listen", {{"address", "127.0.0.1"}, {"port", 18443}}},
      {"tls",
       {{"min_version", "1.3"},
        {"max_version", "1.3"},
        {"certificate_file", dir.file("cert.pem")},
        {"private_key_file", dir.file("key.pem")}}},
      {"state_dir", dir.file("state")},
      {"security_event_log", dir.file("events.log")},
      {"audience", "rustynet-control"},
      {"custody", {{"key_directory", dir.file("keys")}, {"operator_secret_file", dir.file("secret")}}},
      {"admin_public_keys", {public_key}},
  };
}

class ServiceConfigTest : public ::testing::Test {
 protected:
  ServiceConfigTest() : key_(testing::harness_key(5)) {}
  std::string public_key() const { return key_.public_key().to_base64(); }
  crypto::Ed25519SigningKey key_;
  testing::TempDir dir_;
};

TEST_F(ServiceConfigTest, ParsesValidConfig) {
  auto config = parse_service_config(valid_config(dir_, public_key()).dump());
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(config->port, 18443);
  EXPECT_EQ(config->admin_keys.size(), 1U);
  EXPECT_EQ(config->node_state_lifetime, std::chrono::seconds(86'400));
  EXPECT_EQ(config->long_poll_max_wait, std::chrono::seconds(55));
  EXPECT_EQ(config->tls_policy.min_version, control::TlsVersion::kTls13);
}

TEST_F(ServiceConfigTest, RefusesAnyOlderTlsVersion) {
  for (const char* field : {"min_version", "max_version"}) {
    for (const char* version : {"1.2", "1.1", "1.0"}) {
      auto json = valid_config(dir_, public_key());
      json["tls"][field] = version;
      auto config = parse_service_config(json.dump());
      ASSERT_FALSE(config.has_value()) << field << "=" << version;
      EXPECT_NE(config.error().message.find("TLS 1.3 only"), std::string::npos) << config.error().message;
    }
  }
  auto json = valid_config(dir_, public_key());
  json["tls"]["min_version"] = "SSLv3";
  EXPECT_FALSE(parse_service_config(json.dump()).has_value());
}

TEST_F(ServiceConfigTest, RefusesUnknownFieldsVersionsAndBadKeys) {
  auto json = valid_config(dir_, public_key());
  json["tls"]["allow_legacy"] = true;
  EXPECT_FALSE(parse_service_config(json.dump()).has_value());
  json = valid_config(dir_, public_key());
  json["version"] = 2;
  EXPECT_FALSE(parse_service_config(json.dump()).has_value());
  json = valid_config(dir_, public_key());
  json["admin_public_keys"] = nlohmann::json::array({"not-base64"});
  EXPECT_FALSE(parse_service_config(json.dump()).has_value());
  json = valid_config(dir_, public_key());
  json["listen"]["port"] = 70000;
  EXPECT_FALSE(parse_service_config(json.dump()).has_value());
}

TEST_F(ServiceConfigTest, CheckConfigExitCodes) {
  auto json = valid_config(dir_, public_key());
  ASSERT_TRUE(base::atomic_write_file(dir_.file("good.json"), json.dump()).has_value());
  json["tls"]["min_version"] = "1.2";
  ASSERT_TRUE(base::atomic_write_file(dir_.file("old-tls.json"), json.dump()).has_value());
  std::ostringstream out;
  std::ostringstream err;
  EXPECT_EQ(run({"--check-config", dir_.file("good.json")}, out, err), 0);
  EXPECT_EQ(run({"--check-config", dir_.file("old-tls.json")}, out, err), 78);
  EXPECT_NE(err.str().find("TLS 1.3 only"), std::string::npos);
  EXPECT_EQ(run({"--config", dir_.file("old-tls.json")}, out, err), 78);
}

// Every field: a wrong value is refused at parse time with a typed error naming the field.
TEST_F(ServiceConfigTest, EveryBadFieldIsATypedError) {
  struct Case {
    std::string name;
    std::function<void(nlohmann::json&)> mutate;
    ConfigErrorKind kind;
    std::string path;
  };
  const std::vector<Case> cases = {
      {"missing listen", [](nlohmann::json& j) { j.erase("listen"); }, ConfigErrorKind::kSyntax, "listen"},
      {"listen address empty", [](nlohmann::json& j) { j["listen"]["address"] = ""; }, ConfigErrorKind::kInvalidValue,
       "$.listen.address"},
      {"port 0", [](nlohmann::json& j) { j["listen"]["port"] = 0; }, ConfigErrorKind::kInvalidValue, "$.listen.port"},
      {"port string", [](nlohmann::json& j) { j["listen"]["port"] = "443"; }, ConfigErrorKind::kSyntax, "port"},
      {"tls 1.2", [](nlohmann::json& j) { j["tls"]["min_version"] = "1.2"; }, ConfigErrorKind::kInvalidValue, "$.tls"},
      {"no cert", [](nlohmann::json& j) { j["tls"].erase("certificate_file"); }, ConfigErrorKind::kSyntax,
       "certificate_file"},
      {"empty key file", [](nlohmann::json& j) { j["tls"]["private_key_file"] = ""; }, ConfigErrorKind::kInvalidValue,
       "$.tls.private_key_file"},
      {"empty state_dir", [](nlohmann::json& j) { j["state_dir"] = ""; }, ConfigErrorKind::kInvalidValue,
       "$.state_dir"},
      {"event log type", [](nlohmann::json& j) { j["security_event_log"] = 5; }, ConfigErrorKind::kSyntax,
       "security_event_log"},
      {"empty audience", [](nlohmann::json& j) { j["audience"] = ""; }, ConfigErrorKind::kInvalidValue, "$.audience"},
      {"no custody", [](nlohmann::json& j) { j.erase("custody"); }, ConfigErrorKind::kSyntax, "custody"},
      {"custody unknown field", [](nlohmann::json& j) { j["custody"]["plaintext"] = true; }, ConfigErrorKind::kSyntax,
       "plaintext"},
      {"empty key dir", [](nlohmann::json& j) { j["custody"]["key_directory"] = ""; }, ConfigErrorKind::kInvalidValue,
       "$.custody.key_directory"},
      {"credential path", [](nlohmann::json& j) { j["custody"]["operator_secret_credential"] = "../x"; },
       ConfigErrorKind::kInvalidValue, "$.custody.operator_secret_credential"},
      {"no admin keys", [](nlohmann::json& j) { j["admin_public_keys"] = nlohmann::json::array(); },
       ConfigErrorKind::kInvalidValue, "$.admin_public_keys"},
      {"bad admin key", [](nlohmann::json& j) { j["admin_public_keys"] = {"AAAA"}; }, ConfigErrorKind::kInvalidValue,
       "$.admin_public_keys[0]"},
      {"lifetime too short", [](nlohmann::json& j) { j["node_state_lifetime_seconds"] = 10; },
       ConfigErrorKind::kInvalidValue, "$.node_state_lifetime_seconds"},
      {"wait too long", [](nlohmann::json& j) { j["long_poll_max_wait_seconds"] = 56; }, ConfigErrorKind::kInvalidValue,
       "$.long_poll_max_wait_seconds"},
      {"connections 0", [](nlohmann::json& j) { j["max_connections"] = 0; }, ConfigErrorKind::kInvalidValue,
       "$.max_connections"},
      {"nonce capacity 0", [](nlohmann::json& j) { j["nonce_capacity"] = 0; }, ConfigErrorKind::kInvalidValue,
       "$.nonce_capacity"},
      {"unknown top-level", [](nlohmann::json& j) { j["token_signing_public_keys"] = nlohmann::json::array(); },
       ConfigErrorKind::kSyntax, "token_signing_public_keys"},
      {"version 2", [](nlohmann::json& j) { j["version"] = 2; }, ConfigErrorKind::kSyntax, "version"},
  };
  for (const auto& test_case : cases) {
    auto json = valid_config(dir_, public_key());
    test_case.mutate(json);
    auto config = parse_service_config(json.dump());
    ASSERT_FALSE(config.has_value()) << test_case.name;
    EXPECT_EQ(config.error().kind, test_case.kind) << test_case.name << ": " << config.error().message;
    EXPECT_NE(config.error().message.find(test_case.path), std::string::npos)
        << test_case.name << ": " << config.error().message;
  }
  EXPECT_EQ(load_service_config(dir_.file("missing.json")).error().kind, ConfigErrorKind::kUnreadable);
}

TEST_F(ServiceConfigTest, AbuseControlDefaultsAreSpec53WhereTheyApply) {
  const auto config = parse_service_config(valid_config(dir_, public_key()).dump()).value();
  const AbuseControlConfig& abuse = config.abuse;
  EXPECT_EQ(abuse.unproven_per_source.burst, 20U);
  EXPECT_EQ(abuse.unproven_per_source.refill_tokens, 10U);
  EXPECT_EQ(abuse.unproven_per_source.refill_period, std::chrono::seconds(60));
  EXPECT_EQ(abuse.failing_identity.burst, 10U);
  EXPECT_EQ(abuse.failing_identity.refill_tokens, 5U);
  EXPECT_EQ(abuse.failing_identity.refill_period, std::chrono::seconds(900));
  EXPECT_EQ(abuse.lockout.initial_backoff, std::chrono::seconds(30));
  EXPECT_EQ(abuse.lockout.max_backoff, std::chrono::seconds(900));
  EXPECT_EQ(abuse.clock_skew, std::chrono::seconds(90));
  EXPECT_EQ(abuse.node.burst, kNodeRequestBudget.burst);
  EXPECT_EQ(abuse.admin.burst, kAdminRequestBudget.burst);
  EXPECT_EQ(abuse.admin_write.refill_tokens, kAdminWriteBudget.refill_tokens);
}

TEST_F(ServiceConfigTest, AbuseControlValuesAreReadAndBounded) {
  auto json = valid_config(dir_, public_key());
  json["abuse_control"] = {{"unproven_per_source", {{"burst", 5}, {"refill_tokens", 1}, {"refill_period_seconds", 30}}},
                           {"admin", {{"burst", 1000}}},
                           {"lockout", {{"initial_seconds", 1}, {"max_seconds", 1}, {"reset_cooldown_seconds", 60}}},
                           {"clock_skew_seconds", 0},
                           {"max_tracked_keys", 1024}};
  const auto config = parse_service_config(json.dump()).value();
  EXPECT_EQ(config.abuse.unproven_per_source.burst, 5U);
  EXPECT_EQ(config.abuse.unproven_per_source.refill_period, std::chrono::seconds(30));
  EXPECT_EQ(config.abuse.admin.burst, 1000U);
  EXPECT_EQ(config.abuse.admin.refill_tokens, kAdminRequestBudget.refill_tokens);  // absent member: default
  EXPECT_EQ(config.abuse.lockout.max_backoff, std::chrono::seconds(1));
  EXPECT_EQ(config.abuse.clock_skew, std::chrono::seconds(0));
  EXPECT_EQ(config.abuse.node.max_tracked_keys, 1024U);
  EXPECT_EQ(config.abuse.lockout.max_tracked_keys, 1024U);

  struct Case {
    nlohmann::json abuse;
    ConfigErrorKind kind;
    std::string path;
  };
  const std::vector<Case> cases = {
      {{{"node", {{"burst", 0}}}}, ConfigErrorKind::kInvalidValue, "$.abuse_control.node.burst"},
      {{{"node", {{"burst", 100'001}}}}, ConfigErrorKind::kInvalidValue, "$.abuse_control.node.burst"},
      {{{"admin_write", {{"refill_tokens", 0}}}},
       ConfigErrorKind::kInvalidValue,
       "$.abuse_control.admin_write.refill_tokens"},
      {{{"failing_identity", {{"refill_period_seconds", 86'401}}}},
       ConfigErrorKind::kInvalidValue,
       "$.abuse_control.failing_identity.refill_period_seconds"},
      {{{"unproven_per_source", {{"burst", "20"}}}}, ConfigErrorKind::kSyntax, "burst"},
      {{{"admin", {{"brust", 20}}}}, ConfigErrorKind::kSyntax, "brust"},
      {{{"lockout", {{"initial_seconds", 0}}}},
       ConfigErrorKind::kInvalidValue,
       "$.abuse_control.lockout.initial_seconds"},
      {{{"lockout", {{"initial_seconds", 60}, {"max_seconds", 30}}}},
       ConfigErrorKind::kInvalidValue,
       "$.abuse_control.lockout.initial_seconds"},
      {{{"lockout", {{"reset_cooldown_seconds", 604'801}}}},
       ConfigErrorKind::kInvalidValue,
       "$.abuse_control.lockout.reset_cooldown_seconds"},
      {{{"clock_skew_seconds", -1}}, ConfigErrorKind::kInvalidValue, "$.abuse_control.clock_skew_seconds"},
      {{{"clock_skew_seconds", 601}}, ConfigErrorKind::kInvalidValue, "$.abuse_control.clock_skew_seconds"},
      {{{"max_tracked_keys", 1023}}, ConfigErrorKind::kInvalidValue, "$.abuse_control.max_tracked_keys"},
      {{{"per_ip", {{"burst", 20}}}}, ConfigErrorKind::kSyntax, "per_ip"},
      {nlohmann::json::array(), ConfigErrorKind::kSyntax, "abuse_control"},
  };
  for (const auto& test_case : cases) {
    auto bad = valid_config(dir_, public_key());
    bad["abuse_control"] = test_case.abuse;
    auto refused = parse_service_config(bad.dump());
    ASSERT_FALSE(refused.has_value()) << test_case.abuse.dump();
    EXPECT_EQ(refused.error().kind, test_case.kind) << test_case.abuse.dump() << ": " << refused.error().message;
    EXPECT_NE(refused.error().message.find(test_case.path), std::string::npos)
        << test_case.abuse.dump() << ": " << refused.error().message;
  }
}

}  // namespace
}  // namespace rustynet::apps::control_server
