// SPDX-License-Identifier: Apache-2.0
// Daemon config: strict parsing, defaults, refusals with JSON paths, reload compatibility.
#include "daemon_config.hpp"

#include <gtest/gtest.h>

#include "daemon_fixture.hpp"

namespace rustynet::apps::daemon {
namespace {

struct ConfigTest : ::testing::Test {
  ConfigTest() : keys{dir.file("keys"), dir.file("secret")} {}

  nlohmann::json base() { return testing::base_config(dir, keys, testing::key_from(0x11).public_key()); }

  void expect_refused(const nlohmann::json& config, const std::string& fragment) {
    const auto parsed = parse_daemon_config(config.dump());
    ASSERT_FALSE(parsed.has_value()) << fragment;
    EXPECT_EQ(parsed.error().kind, DaemonErrorKind::kConfig);
    EXPECT_EQ(parsed.error().exit_code(), 10);
    EXPECT_NE(parsed.error().message.find(fragment), std::string::npos) << parsed.error().message;
  }

  testing::TempDir dir;
  testing::NodeKeys keys;
};

TEST_F(ConfigTest, ValidConfigWithDefaults) {
  auto config = base();
  config.erase("listen_port");
  const auto parsed = parse_daemon_config(config.dump());
  ASSERT_TRUE(parsed.has_value()) << parsed.error().describe();
  EXPECT_EQ(parsed->node_id, "n1");
  EXPECT_EQ(parsed->listen_port, 51820);
  EXPECT_EQ(parsed->mtu, 1420U);
  EXPECT_EQ(parsed->persistent_keepalive_seconds, 25);
  EXPECT_EQ(parsed->control.host, "127.0.0.1");
  EXPECT_EQ(parsed->control.port, 1);
  EXPECT_EQ(parsed->control.audience, "rustynet-control");
  EXPECT_EQ(parsed->control.server_name, "127.0.0.1");
  EXPECT_EQ(parsed->backend.kind, BackendKind::kMemory);
  EXPECT_EQ(parsed->last_state_path, dir.file("trust.state") + ".last");
  EXPECT_EQ(parsed->advertised_endpoints, std::vector<std::string>{"192.0.2.10:51820"});
}

TEST_F(ConfigTest, UnknownMajorVersionRefused) {
  auto config = base();
  config["version"] = 2;
  expect_refused(config, "unsupported version 2");
}

TEST_F(ConfigTest, UnknownFieldsRefusedWithPath) {
  auto config = base();
  config["control"]["pinsha256"] = "x";
  expect_refused(config, "$.control");
  auto top = base();
  top["extra"] = true;
  expect_refused(top, "extra");
}

TEST_F(ConfigTest, BadValuesRefused) {
  auto node = base();
  node["node_id"] = "N1";  // not canonical
  expect_refused(node, "$.node_id");
  auto iface = base();
  iface["interface"] = "much-too-long-interface";
  expect_refused(iface, "$.interface");
  auto port = base();
  port["listen_port"] = 0;
  expect_refused(port, "$.listen_port");
  auto both = base();
  both["control"]["ca_file"] = "/etc/ssl/ca.pem";
  expect_refused(both, "exactly one of pin_sha256 and ca_file");
  auto pin = base();
  pin["control"]["pin_sha256"] = "ABCDEF";
  expect_refused(pin, "$.control.pin_sha256");
  auto url = base();
  url["control"]["url"] = "control.example";
  expect_refused(url, "$.control.url");
  auto key = base();
  key["control"]["signing_public_keys"] = {"not-a-key"};
  expect_refused(key, "signing_public_keys[0]");
  auto kind = base();
  kind["backend"]["kind"] = "tap";
  expect_refused(kind, "$.backend.kind");
  auto relative = base();
  relative["trust_state"] = "trust.state";
  expect_refused(relative, "$.trust_state");
  auto endpoint = base();
  endpoint["advertised_endpoints"] = {"192.0.2.1"};
  expect_refused(endpoint, "advertised_endpoints[0]");
  auto poll = base();
  poll["control"]["long_poll_seconds"] = 56;
  expect_refused(poll, "long_poll_seconds");
  expect_refused(nlohmann::json::array(), "$");
}

TEST_F(ConfigTest, LocalApiLimitsDefaultsOverridesAndRanges) {
  const auto defaults = parse_daemon_config(base().dump());
  ASSERT_TRUE(defaults.has_value()) << defaults.error().describe();
  EXPECT_EQ(defaults->local_api.limits, LocalApiLimits{});
  auto tuned = base();
  tuned["local_api"]["max_read_connections"] = 16;
  tuned["local_api"]["max_connections_per_uid"] = 2;
  tuned["local_api"]["max_admin_connections"] = 4;
  tuned["local_api"]["read_queue_depth"] = 3;
  tuned["local_api"]["request_deadline_ms"] = 5000;
  const auto parsed = parse_daemon_config(tuned.dump());
  ASSERT_TRUE(parsed.has_value()) << parsed.error().describe();
  EXPECT_EQ(parsed->local_api.limits.max_read_connections, 16U);
  EXPECT_EQ(parsed->local_api.limits.max_connections_per_uid, 2U);
  EXPECT_EQ(parsed->local_api.limits.max_admin_connections, 4U);
  EXPECT_EQ(parsed->local_api.limits.read_queue_depth, 3U);
  EXPECT_EQ(parsed->local_api.limits.request_deadline, std::chrono::milliseconds(5000));
  EXPECT_TRUE(validate_limits(parsed->local_api.limits).has_value());
  // Tuning the caps needs a restart (the server is not rebuilt on reload).
  EXPECT_EQ(reload_blocker(*defaults, *parsed), std::optional<std::string>("local_api"));

  for (const auto& [key, value] : std::vector<std::pair<std::string, nlohmann::json>>{{"max_read_connections", 0},
                                                                                      {"max_read_connections", 1025},
                                                                                      {"max_connections_per_uid", 0},
                                                                                      {"max_admin_connections", 0},
                                                                                      {"read_queue_depth", 2000},
                                                                                      {"request_deadline_ms", 49},
                                                                                      {"request_deadline_ms", 60001},
                                                                                      {"request_deadline_ms", "2000"},
                                                                                      {"max_read_connections", -1}}) {
    auto config = base();
    config["local_api"][key] = value;
    expect_refused(config, "$.local_api." + key);
  }
  auto above_total = base();
  above_total["local_api"]["max_read_connections"] = 4;
  above_total["local_api"]["max_connections_per_uid"] = 5;
  expect_refused(above_total, "$.local_api.max_connections_per_uid");
  auto unknown = base();
  unknown["local_api"]["max_connections"] = 10;
  expect_refused(unknown, "max_connections");
}

TEST_F(ConfigTest, MetricsAndLogLevel) {
  const auto plain = parse_daemon_config(base().dump());
  ASSERT_TRUE(plain.has_value());
  EXPECT_FALSE(plain->metrics_listen.has_value());  // absent: off
  EXPECT_EQ(plain->log_level, base::LogLevel::kInfo);
  auto config = base();
  config["metrics"] = {{"listen", "127.0.0.1:9101"}};
  config["log_level"] = "debug";
  const auto parsed = parse_daemon_config(config.dump());
  ASSERT_TRUE(parsed.has_value()) << parsed.error().describe();
  ASSERT_TRUE(parsed->metrics_listen.has_value());
  EXPECT_EQ(parsed->metrics_listen->to_string(), "127.0.0.1:9101");
  EXPECT_EQ(parsed->log_level, base::LogLevel::kDebug);
  config["metrics"]["listen"] = "[::1]:9101";
  EXPECT_TRUE(parse_daemon_config(config.dump()).has_value());
  for (const char* refused : {"0.0.0.0:9101", "192.0.2.1:9101", "[::]:9101", "localhost:9101", "127.0.0.1"}) {
    config["metrics"]["listen"] = refused;
    expect_refused(config, "$.metrics.listen");
  }
  config["metrics"] = {{"listen", "127.0.0.1:9101"}, {"port", 1}};
  expect_refused(config, "$.metrics.port");
  config["metrics"] = nlohmann::json::object();
  expect_refused(config, "$.metrics.listen");
  config.erase("metrics");
  config["log_level"] = "verbose";
  expect_refused(config, "$.log_level");
  config["log_level"] = 1;
  expect_refused(config, "$.log_level");
}

TEST_F(ConfigTest, HttpsSchemeAcceptedAndIpv6Brackets) {
  auto config = base();
  config["control"]["url"] = "https://[2001:db8::1]:8443";
  const auto parsed = parse_daemon_config(config.dump());
  ASSERT_TRUE(parsed.has_value()) << parsed.error().describe();
  EXPECT_EQ(parsed->control.host, "2001:db8::1");
  EXPECT_EQ(parsed->control.port, 8443);
}

TEST_F(ConfigTest, MissingFileIsAConfigError) {
  const auto loaded = load_daemon_config(dir.file("missing.json"));
  ASSERT_FALSE(loaded.has_value());
  EXPECT_EQ(loaded.error().kind, DaemonErrorKind::kConfig);
}

TEST_F(ConfigTest, ReloadBlockers) {
  const auto current = parse_daemon_config(base().dump()).value();
  auto keepalive = base();
  keepalive["persistent_keepalive_seconds"] = 10;
  keepalive["advertised_endpoints"] = {"192.0.2.11:51820"};
  EXPECT_FALSE(reload_blocker(current, parse_daemon_config(keepalive.dump()).value()).has_value());
  auto node = base();
  node["node_id"] = "n2";
  EXPECT_EQ(reload_blocker(current, parse_daemon_config(node.dump()).value()), std::optional<std::string>("node_id"));
  auto backend = base();
  backend["backend"]["kind"] = "wireguard";
  EXPECT_EQ(reload_blocker(current, parse_daemon_config(backend.dump()).value()),
            std::optional<std::string>("backend"));
  auto level = base();
  level["log_level"] = "warn";  // applied by a reload
  EXPECT_FALSE(reload_blocker(current, parse_daemon_config(level.dump()).value()).has_value());
  auto metrics = base();
  metrics["metrics"] = {{"listen", "127.0.0.1:9101"}};  // the listener is bound once, at start
  EXPECT_EQ(reload_blocker(current, parse_daemon_config(metrics.dump()).value()),
            std::optional<std::string>("metrics"));
}

}  // namespace
}  // namespace rustynet::apps::daemon
