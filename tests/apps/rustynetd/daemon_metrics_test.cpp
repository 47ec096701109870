// SPDX-License-Identifier: Apache-2.0
// rustynetd metrics: the snapshot families, and a daemon scraped over its loopback endpoint while it
// syncs, applies, refuses and loses control; its log lines are JSON objects.
#include "daemon_metrics.hpp"

#include <gtest/gtest.h>

#include <sstream>

#include "daemon.hpp"
#include "daemon_fixture.hpp"
#include "daemon_harness.hpp"
#include "metrics_scrape.hpp"

namespace rustynet::apps::daemon {
namespace {

using rustynet::testing::sample_value;
using testing::TestPeer;

TEST(DaemonMetrics, SnapshotBecomesGaugesAndPerPeerSeries) {
  DaemonSnapshot snapshot;
  snapshot.peers_configured = 2;
  snapshot.generation = 7;
  snapshot.control_connected = true;
  snapshot.tunnel_running = true;
  snapshot.filter_restores = 3;
  snapshot.now_unix = 1000;
  snapshot.peers = {{"n2", 990, 100, 200}, {"n3", std::nullopt, 0, 5}, {"n4", 1005, 1, 1}};
  auto metrics = DaemonMetrics::create([&] { return snapshot; });
  ASSERT_TRUE(metrics.has_value()) << metrics.error().describe();
  (*metrics)->sync_finished(SyncOutcome::kOk, std::chrono::milliseconds(30));
  (*metrics)->sync_finished(SyncOutcome::kError, std::chrono::seconds(2));
  (*metrics)->applied(true);
  const std::string text = (*metrics)->registry().render();
  EXPECT_EQ(sample_value(text, "rustynetd_peers_configured"), 2.0);
  EXPECT_EQ(sample_value(text, "rustynetd_state_generation"), 7.0);
  EXPECT_EQ(sample_value(text, "rustynetd_control_connected"), 1.0);
  EXPECT_EQ(sample_value(text, "rustynetd_packet_filter_restores_total"), 3.0);
  EXPECT_EQ(sample_value(text, R"(rustynetd_peer_last_handshake_age_seconds{peer="n2"})"), 10.0);
  // No handshake yet: no age (not 0, not "now - 0").
  EXPECT_FALSE(sample_value(text, R"(rustynetd_peer_last_handshake_age_seconds{peer="n3"})").has_value());
  // A handshake "in the future" (wall clock stepped back) is age 0, never negative.
  EXPECT_EQ(sample_value(text, R"(rustynetd_peer_last_handshake_age_seconds{peer="n4"})"), 0.0);
  EXPECT_EQ(sample_value(text, R"(rustynetd_peer_rx_bytes_total{peer="n2"})"), 100.0);
  EXPECT_EQ(sample_value(text, R"(rustynetd_peer_tx_bytes_total{peer="n3"})"), 5.0);
  EXPECT_EQ(sample_value(text, R"(rustynetd_control_sync_total{outcome="ok"})"), 1.0);
  EXPECT_EQ(sample_value(text, R"(rustynetd_control_sync_total{outcome="error"})"), 1.0);
  EXPECT_EQ(sample_value(text, R"(rustynetd_control_sync_duration_seconds_bucket{le="0.05"})"), 1.0);
  EXPECT_EQ(sample_value(text, R"(rustynetd_control_sync_duration_seconds_bucket{le="2.5"})"), 2.0);
  EXPECT_EQ(sample_value(text, "rustynetd_control_sync_duration_seconds_count"), 2.0);
  EXPECT_EQ(sample_value(text, R"(rustynetd_apply_total{outcome="ok"})"), 1.0);
  EXPECT_EQ(sample_value(text, R"(rustynetd_apply_total{outcome="error"})"), 0.0);
  snapshot.now_unix.reset();  // wall clock unusable: ages are not exported
  EXPECT_EQ((*metrics)->registry().render().find("age_seconds{"), std::string::npos);
}

class DaemonMetricsTest : public DaemonHarness {
 protected:
  DaemonMetricsTest() { config["metrics"] = {{"listen", "127.0.0.1:0"}}; }

  std::string scrape(Daemon& d) {
    const auto port = d.metrics_port();
    EXPECT_TRUE(port.has_value());
    return rustynet::testing::scrape_metrics(port.value_or(0)).value_or("");
  }
};

TEST_F(DaemonMetricsTest, CountersFollowSyncsAppliesAndFailures) {
  auto daemon = start();
  ASSERT_TRUE(daemon.has_value()) << daemon.error().describe();
  Daemon& d = **daemon;
  std::string text = scrape(d);
  EXPECT_EQ(sample_value(text, "rustynetd_peers_configured"), 0.0) << text;
  EXPECT_EQ(sample_value(text, "rustynetd_tunnel_running"), 0.0);

  const std::vector<TestPeer> peers{{"n2", "100.64.0.2", 2, "192.0.2.2:51820"},
                                    {"n3", "100.64.0.3", 3, "192.0.2.3:51820"}};
  link->push(update(5, pair(5, peers)));
  ASSERT_TRUE(d.wait_for_generation(5, std::chrono::seconds(10))) << log.str();
  ASSERT_TRUE(d.wait_for_attempts(1, std::chrono::seconds(10)));
  text = scrape(d);
  EXPECT_EQ(sample_value(text, R"(rustynetd_control_sync_total{outcome="ok"})"), 1.0) << text;
  EXPECT_EQ(sample_value(text, R"(rustynetd_apply_total{outcome="ok"})"), 1.0);
  EXPECT_EQ(sample_value(text, "rustynetd_control_sync_duration_seconds_count"), 1.0);
  EXPECT_EQ(sample_value(text, "rustynetd_peers_configured"), 2.0);
  EXPECT_EQ(sample_value(text, "rustynetd_state_generation"), 5.0);
  EXPECT_EQ(sample_value(text, "rustynetd_tunnel_running"), 1.0);
  EXPECT_EQ(sample_value(text, "rustynetd_control_connected"), 1.0);
  // The memory backend counts no bytes and makes no handshakes: series present, at 0; no ages.
  EXPECT_EQ(sample_value(text, R"(rustynetd_peer_rx_bytes_total{peer="n2"})"), 0.0);
  EXPECT_EQ(sample_value(text, R"(rustynetd_peer_tx_bytes_total{peer="n3"})"), 0.0);
  EXPECT_EQ(text.find("rustynetd_peer_last_handshake_age_seconds{"), std::string::npos);

  link->push(update(4, pair(4, {})));  // a rollback: refused
  ASSERT_TRUE(d.wait_for_attempts(2, std::chrono::seconds(10)));
  link->push(base::unexpected(SyncFailure{DaemonError{DaemonErrorKind::kControl, "connect: refused"}, std::nullopt}));
  ASSERT_TRUE(d.wait_for_attempts(3, std::chrono::seconds(10)));
  text = scrape(d);
  EXPECT_EQ(sample_value(text, R"(rustynetd_apply_total{outcome="error"})"), 1.0) << text;
  EXPECT_EQ(sample_value(text, R"(rustynetd_apply_total{outcome="ok"})"), 1.0);
  EXPECT_EQ(sample_value(text, R"(rustynetd_control_sync_total{outcome="ok"})"), 2.0);
  EXPECT_EQ(sample_value(text, R"(rustynetd_control_sync_total{outcome="error"})"), 1.0);
  EXPECT_EQ(sample_value(text, "rustynetd_control_connected"), 0.0);
  EXPECT_EQ(sample_value(text, "rustynetd_peers_configured"), 2.0);  // the verified state stayed

  const std::uint16_t port = d.metrics_port().value();
  d.stop();
  EXPECT_FALSE(rustynet::testing::http_exchange(port, "GET /metrics HTTP/1.1\r\n\r\n").has_value());

  // Every log line is one JSON object with the fixed keys; levels follow what happened.
  std::istringstream lines(log.str());
  std::string line;
  bool saw_refusal = false;
  bool saw_applied = false;
  while (std::getline(lines, line)) {
    const auto json = nlohmann::json::parse(line, nullptr, false);
    ASSERT_TRUE(json.is_object()) << line;
    EXPECT_EQ(json["program"], "rustynetd") << line;
    EXPECT_TRUE(json.contains("ts") && json.contains("level") && json.contains("event") && json.contains("msg"));
    saw_refusal = saw_refusal || (json["event"] == "apply_refused" && json["level"] == "error");
    saw_applied = saw_applied || (json["event"] == "applied" && json["msg"] == "applied generation 5");
  }
  EXPECT_TRUE(saw_refusal) << log.str();
  EXPECT_TRUE(saw_applied) << log.str();
}

TEST_F(DaemonMetricsTest, LogLevelFromTheConfigDropsInfoLines) {
  config["log_level"] = "warn";
  config.erase("metrics");
  auto daemon = start();
  ASSERT_TRUE(daemon.has_value()) << daemon.error().describe();
  EXPECT_FALSE((*daemon)->metrics_port().has_value());  // absent: off
  (*daemon)->stop();
  EXPECT_EQ(log.str().find(R"("level":"info")"), std::string::npos) << log.str();
}

TEST_F(DaemonMetricsTest, ATakenPortRefusesToStartWithItsOwnExitCode) {
  auto first = start();
  ASSERT_TRUE(first.has_value()) << first.error().describe();
  config["metrics"]["listen"] = "127.0.0.1:" + std::to_string((*first)->metrics_port().value());
  config["local_api"]["socket"] = dir.file("second.sock");
  const auto second = start();
  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(second.error().kind, DaemonErrorKind::kMetrics);
  EXPECT_EQ(second.error().exit_code(), 19);
  EXPECT_FALSE(std::filesystem::exists(dir.file("second.sock")));  // nothing half-started
}

}  // namespace
}  // namespace rustynet::apps::daemon
