// SPDX-License-Identifier: Apache-2.0
// rustynet-control configuration and composition: TLS < 1.3 refuses startup; the composed service serves.
#include "service_config.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <nlohmann/json.hpp>

#include <sstream>

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
      {"token_signing_public_keys", {public_key}},
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
  EXPECT_EQ(config->token_keys.size(), 1U);
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
  json["token_signing_public_keys"] = nlohmann::json::array({"not-base64"});
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

// The same composition the binary runs (file event log, SQLite store in the state dir, TLS from
// files), served over loopback.
TEST_F(ServiceConfigTest, ComposedServiceServesAndFailsClosedOnBadState) {
  const auto cert = testing::make_self_signed_certificate();
  ASSERT_TRUE(base::atomic_write_file(dir_.file("cert.pem"), cert.certificate_pem).has_value());
  ASSERT_TRUE(base::atomic_write_file(dir_.file("key.pem"), cert.private_key_pem).has_value());
  ASSERT_EQ(::mkdir(dir_.file("state").c_str(), 0700), 0);
  auto config = parse_service_config(valid_config(dir_, public_key()).dump()).value();
  config.port = 0;
  testing::ManualClock clock;
  {
    const ServiceConfig& bad = config;
    ASSERT_EQ(::chmod(dir_.file("state").c_str(), 0755), 0);
    EXPECT_FALSE(ControlService::start(bad, clock).has_value());  // state dir not private
    ASSERT_EQ(::chmod(dir_.file("state").c_str(), 0700), 0);
  }
  config.port = 0;
  auto service = ControlService::start(config, clock);
  ASSERT_TRUE(service.has_value()) << service.error().message;
  const control::TokenIssuer issuer(testing::harness_key(5), "rustynet-control", clock);
  auto client = testing::HttpsClient::connect((*service)->port(), "127.0.0.1");
  ASSERT_NE(client, nullptr);
  const auto reply = client->request("POST", "/v1/echo", issuer.issue("node-alice").value());
  EXPECT_EQ(reply.status, 200U);
  EXPECT_EQ(nlohmann::json::parse(reply.body)["identity"], "node-alice");
  (*service)->stop();
  const auto events = base::read_file_bounded(dir_.file("events.log"), 1U << 20U).value();
  EXPECT_NE(events.find("\"identity\":\"node-alice\""), std::string::npos);
}

}  // namespace
}  // namespace rustynet::apps::control_server
