// SPDX-License-Identifier: Apache-2.0
// The rustynetd executable as a process: READY over $NOTIFY_SOCKET, SIGHUP reload, SIGTERM clean
// shutdown (socket removed, exit 0), startup refusal exit codes.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "daemon_fixture.hpp"
#include "metrics_scrape.hpp"
#include "notify_socket.hpp"
#include "tls_responder.hpp"

namespace rustynet::apps::daemon {
namespace {

using rustynet::testing::NotifySocket;

pid_t spawn(const std::string& config, const std::string& notify_path, const std::string& stderr_path = "") {
  const pid_t pid = ::fork();
  if (pid == 0) {
    if (!stderr_path.empty()) {
      const int fd = ::open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
      if (fd < 0 || ::dup2(fd, 2) < 0) {
        ::_exit(126);
      }
    }
    ::unsetenv("CREDENTIALS_DIRECTORY");
    ::setenv("NOTIFY_SOCKET", notify_path.c_str(), 1);
    std::string binary = RUSTYNETD_BINARY;
    std::string flag = "--config";
    std::string path = config;
    std::array<char*, 4> argv{binary.data(), flag.data(), path.data(), nullptr};
    ::execv(binary.c_str(), argv.data());
    ::_exit(127);
  }
  return pid;
}

int wait_exit(pid_t pid) {
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) {
    return -1;
  }
  return WEXITSTATUS(status);
}

TEST(ProcessTest, ReadyReloadAndCleanShutdown) {
  testing::TempDir dir;
  const auto keys = testing::copy_of_provisioned_keys(dir);
  auto config = testing::base_config(dir, keys, testing::key_from(0x11).public_key());
  const auto config_path = dir.file("rustynetd.json");
  testing::write_file(config_path, config.dump());
  NotifySocket notify(dir.file("notify"));

  const pid_t pid = spawn(config_path, dir.file("notify"));
  ASSERT_GT(pid, 0);
  ASSERT_TRUE(notify.wait_for("READY=1"));
  EXPECT_TRUE(std::filesystem::exists(dir.file("api.sock")));

  ASSERT_EQ(::kill(pid, SIGHUP), 0);
  ASSERT_TRUE(notify.wait_for("RELOADING=1"));
  ASSERT_TRUE(notify.wait_for("READY=1"));

  ASSERT_EQ(::kill(pid, SIGTERM), 0);
  ASSERT_TRUE(notify.wait_for("STOPPING=1"));
  EXPECT_EQ(wait_exit(pid), 0);
  EXPECT_FALSE(std::filesystem::exists(dir.file("api.sock")));
}

TEST(ProcessTest, RefusalExitCodes) {
  testing::TempDir dir;
  const auto keys = testing::copy_of_provisioned_keys(dir);
  auto config = testing::base_config(dir, keys, testing::key_from(0x11).public_key());
  const auto config_path = dir.file("rustynetd.json");

  config["version"] = 3;
  testing::write_file(config_path, config.dump());
  EXPECT_EQ(wait_exit(spawn(config_path, dir.file("none"))), 10);

  config["version"] = 1;
  ::chmod((keys.key_dir + "/node-tunnel.key").c_str(), 0640);
  testing::write_file(config_path, config.dump());
  EXPECT_EQ(wait_exit(spawn(config_path, dir.file("none"))), 12);
  EXPECT_FALSE(std::filesystem::exists(dir.file("api.sock")));
}

std::string read_all(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The daemon process with metrics on loopback syncs a signed state over HTTPS from a responder
// playing control; the scraped counters show the sync, the apply and the configured peer.
TEST(ProcessTest, MetricsEndpointCountsARealSyncAndApply) {
  testing::TempDir dir;
  const auto keys = testing::copy_of_provisioned_keys(dir);
  const auto control = testing::key_from(0x11);
  const std::int64_t now = base::system_clock().wall_now().value().seconds;  // the process's clock
  testing::SignOptions validity;
  validity.issued_at = now - 60;
  validity.expires_at = now + 3600;
  const auto signed_pair = testing::sign_pair(
      control, 3,
      testing::make_state("n1", "100.64.0.1", {{"n2", "100.64.0.2", 2, "192.0.2.2:51820"}}, testing::kAllowAllPolicy),
      testing::kAllowAllPolicy, validity);
  const std::string answer = testing::sync_body(3, signed_pair);
  testing::TlsResponder responder([&](const testing::ResponderRequest& request) {
    if (request.target != "/v1/node/sync") {
      return testing::ResponderReply{404, "{}"};
    }
    if (nlohmann::json::parse(request.body)["known_generation"].get<std::uint64_t>() >= 3) {
      testing::ResponderReply idle{204, ""};
      idle.delay = std::chrono::milliseconds(200);
      return idle;
    }
    return testing::ResponderReply{200, answer};
  });
  auto config = testing::base_config(dir, keys, control.public_key());
  config["control"]["url"] = "127.0.0.1:" + std::to_string(responder.port());
  config["control"]["pin_sha256"] = responder.pin_sha256();
  config["metrics"] = {{"listen", "127.0.0.1:0"}};
  const auto config_path = dir.file("rustynetd.json");
  testing::write_file(config_path, config.dump());
  NotifySocket notify(dir.file("notify"));
  const std::string log_path = dir.file("rustynetd.log");
  const pid_t pid = spawn(config_path, dir.file("notify"), log_path);
  ASSERT_GT(pid, 0);
  ASSERT_TRUE(notify.wait_for("READY=1")) << read_all(log_path);

  std::optional<std::uint16_t> port;
  std::istringstream started(read_all(log_path));
  for (std::string line; std::getline(started, line);) {
    const auto json = nlohmann::json::parse(line, nullptr, false);
    if (json.is_object() && json.value("event", "") == "metrics_listening") {
      port = json["port"].get<std::uint16_t>();
    }
  }
  ASSERT_TRUE(port.has_value()) << read_all(log_path);
  std::string text;
  using rustynet::testing::sample_value;
  for (int i = 0; i < 100 && sample_value(text, "rustynetd_state_generation").value_or(0) < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    text = rustynet::testing::scrape_metrics(*port).value_or("");
  }
  EXPECT_EQ(sample_value(text, "rustynetd_state_generation"), 3.0) << text << read_all(log_path);
  EXPECT_GE(sample_value(text, R"(rustynetd_control_sync_total{outcome="ok"})").value_or(0), 1.0);
  EXPECT_EQ(sample_value(text, R"(rustynetd_apply_total{outcome="ok"})"), 1.0);
  EXPECT_EQ(sample_value(text, "rustynetd_peers_configured"), 1.0);
  EXPECT_EQ(sample_value(text, "rustynetd_tunnel_running"), 1.0);
  EXPECT_TRUE(sample_value(text, R"(rustynetd_peer_rx_bytes_total{peer="n2"})").has_value());
  EXPECT_GE(sample_value(text, "rustynetd_control_sync_duration_seconds_count").value_or(0), 1.0);

  ASSERT_EQ(::kill(pid, SIGTERM), 0);
  EXPECT_EQ(wait_exit(pid), 0);
  std::istringstream lines(read_all(log_path));
  for (std::string line; std::getline(lines, line);) {
    const auto json = nlohmann::json::parse(line, nullptr, false);
    ASSERT_TRUE(json.is_object()) << line;
    EXPECT_EQ(json["program"], "rustynetd");
  }
}

}  // namespace
}  // namespace rustynet::apps::daemon
