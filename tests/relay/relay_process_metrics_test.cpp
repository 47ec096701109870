// SPDX-License-Identifier: Apache-2.0
// The rustynet-relay executable with metrics on loopback: two ticketed sides relay a datagram, a
// stranger's datagram is dropped, and the scraped counters say so; every log line is JSON.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>
#include <array>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "metrics_scrape.hpp"
#include "relay_test_support.hpp"
#include "rustynet/base/clock.hpp"
#include "rustynet/relay/protocol.hpp"
#include "rustynet/relay/udp_socket.hpp"
#include "temp_dir.hpp"

namespace rustynet::relay {
namespace {

using rustynet::testing::sample_value;
using std::chrono::milliseconds;

const RelayEndpoint kLoopback = RelayEndpoint::parse("127.0.0.1:0").value();

std::string read_all(const std::string& path) {
  std::ifstream in(path);
  std::stringstream out;
  out << in.rdbuf();
  return out.str();
}

class RelayProcess {
 public:
  RelayProcess(const std::string& config, const std::string& log_path) {
    pid_ = ::fork();
    if (pid_ == 0) {
      const int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
      if (fd < 0 || ::dup2(fd, 2) < 0) {
        ::_exit(126);
      }
      std::string binary = RUSTYNET_RELAY_BINARY;
      std::string flag = "--config";
      std::string path = config;
      std::array<char*, 4> argv{binary.data(), flag.data(), path.data(), nullptr};
      ::execv(binary.c_str(), argv.data());
      ::_exit(127);
    }
  }
  ~RelayProcess() {
    if (pid_ > 0) {
      (void)::kill(pid_, SIGKILL);
      (void)::waitpid(pid_, nullptr, 0);
    }
  }
  RelayProcess(const RelayProcess&) = delete;
  RelayProcess& operator=(const RelayProcess&) = delete;
  RelayProcess(RelayProcess&&) = delete;
  RelayProcess& operator=(RelayProcess&&) = delete;

  // SIGTERM and the exit status (-1: not a normal exit).
  int stop() {
    (void)::kill(pid_, SIGTERM);
    return wait_exit();
  }
  int wait_exit() {
    int status = 0;
    const pid_t waited = ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return waited > 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

 private:
  pid_t pid_ = -1;
};

// The relay's "started" line, once it is in the log (up to 10 s).
std::optional<nlohmann::json> wait_started(const std::string& log_path) {
  for (int i = 0; i < 200; ++i) {
    std::istringstream lines(read_all(log_path));
    std::string line;
    while (std::getline(lines, line)) {
      const auto json = nlohmann::json::parse(line, nullptr, false);
      if (json.is_object() && json.value("event", "") == "started") {
        return json;
      }
    }
    std::this_thread::sleep_for(milliseconds(50));
  }
  return std::nullopt;
}

std::optional<std::vector<std::uint8_t>> receive(const UdpSocket& socket) {
  std::array<std::uint8_t, 2048> buffer{};
  auto got = socket.receive(buffer, milliseconds(2000));
  if (!got.has_value() || !got->has_value()) {
    return std::nullopt;
  }
  return std::vector<std::uint8_t>(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>((*got)->size));
}

MessageType handshake(const UdpSocket& socket, const RelayEndpoint& relay, std::span<const std::uint8_t> ticket) {
  Cookie cookie{};
  for (int round = 0; round < 2; ++round) {
    if (!socket.send_to(relay, build_hello(ticket, cookie).value()).has_value()) {
      return MessageType{};
    }
    const auto answer = receive(socket);
    if (!answer) {
      return MessageType{};
    }
    const auto parsed = parse_server_message(*answer);
    if (!parsed.has_value()) {
      return MessageType{};
    }
    if (parsed->type != MessageType::kCookie) {
      return parsed->type;
    }
    cookie = parsed->cookie;
  }
  return MessageType{};
}

TEST(RelayProcessMetrics, ScrapedCountersFollowRelayedAndDroppedDatagrams) {
  rustynet::testing::TempDir dir;
  testing::TicketIssuer issuer(7);
  const nlohmann::json config = {{"version", 1},
                                 {"relay_id", "relay-1"},
                                 {"listen", "127.0.0.1:0"},
                                 {"control_public_key", issuer.public_key().to_base64()},
                                 {"stats_interval_seconds", 0},
                                 {"log_level", "info"},
                                 {"metrics", {{"listen", "127.0.0.1:0"}}}};
  const std::string config_path = dir.file("relay.json");
  {
    std::ofstream out(config_path);
    out << config.dump();
  }
  const std::string log_path = dir.file("relay.log");
  RelayProcess relay(config_path, log_path);
  const auto started = wait_started(log_path);
  ASSERT_TRUE(started.has_value()) << read_all(log_path);
  const auto relay_endpoint = RelayEndpoint::parse((*started)["listen"].get<std::string>()).value();
  const auto metrics_port = (*started)["metrics_port"].get<std::uint16_t>();

  const std::int64_t now = base::system_clock().wall_now().value().seconds;
  const UdpSocket a = UdpSocket::bind(kLoopback).value();
  const UdpSocket b = UdpSocket::bind(kLoopback).value();
  const UdpSocket stranger = UdpSocket::bind(kLoopback).value();
  ASSERT_EQ(handshake(a, relay_endpoint, issuer.issue("node-a", "node-b", testing::session_id(1), now)),
            MessageType::kAccept);
  ASSERT_EQ(handshake(b, relay_endpoint, issuer.issue("node-b", "node-a", testing::session_id(1), now)),
            MessageType::kAccept);
  const std::vector<std::uint8_t> payload(100, 4);  // not the control magic
  ASSERT_TRUE(a.send_to(relay_endpoint, payload).has_value());
  EXPECT_EQ(receive(b), payload);
  ASSERT_TRUE(stranger.send_to(relay_endpoint, payload).has_value());

  // The relay publishes after each poll (at most 200 ms apart): scrape until the drop shows.
  std::string text;
  for (int i = 0; i < 50; ++i) {
    text = rustynet::testing::scrape_metrics(metrics_port).value_or("");
    if (sample_value(text, R"(rustynet_relay_dropped_datagrams_total{reason="unknown_session"})").value_or(0) >= 1) {
      break;
    }
    std::this_thread::sleep_for(milliseconds(100));
  }
  EXPECT_EQ(sample_value(text, "rustynet_relay_sessions"), 1.0) << text;
  EXPECT_EQ(sample_value(text, "rustynet_relay_forwarded_datagrams_total"), 1.0);
  EXPECT_EQ(sample_value(text, "rustynet_relay_forwarded_bytes_total"), 100.0);
  EXPECT_EQ(sample_value(text, R"(rustynet_relay_dropped_datagrams_total{reason="unknown_session"})"), 1.0);
  EXPECT_EQ(sample_value(text, "rustynet_relay_ticket_verifications_total"), 2.0);
  EXPECT_EQ(sample_value(text, "rustynet_relay_sides_bound_total"), 2.0);
  EXPECT_EQ(sample_value(text, R"(rustynet_relay_tickets_refused_total{reason="replayed"})"), 0.0);
  EXPECT_TRUE(rustynet::testing::http_exchange(metrics_port, "GET / HTTP/1.1\r\n\r\n")->starts_with("HTTP/1.1 404"));

  EXPECT_EQ(relay.stop(), 0);
  // Every line is a JSON object with the fixed keys; the last is the counters line.
  std::istringstream lines(read_all(log_path));
  std::string line;
  nlohmann::json last;
  int bound_events = 0;
  while (std::getline(lines, line)) {
    last = nlohmann::json::parse(line, nullptr, false);
    ASSERT_TRUE(last.is_object()) << line;
    EXPECT_EQ(last["program"], "rustynet-relay");
    EXPECT_TRUE(last.contains("ts") && last.contains("level") && last.contains("msg")) << line;
    bound_events += last["event"] == "session-bound" ? 1 : 0;
  }
  EXPECT_EQ(last["event"], "counters");
  EXPECT_EQ(last["forwarded_datagrams"], 1);
  EXPECT_EQ(bound_events, 2);
}

TEST(RelayProcessMetrics, NonLoopbackMetricsAddressIsRefusedAtLoad) {
  rustynet::testing::TempDir dir;
  testing::TicketIssuer issuer(7);
  nlohmann::json config = {{"version", 1},
                           {"relay_id", "relay-1"},
                           {"listen", "127.0.0.1:0"},
                           {"control_public_key", issuer.public_key().to_base64()},
                           {"metrics", {{"listen", "0.0.0.0:9102"}}}};
  const std::string config_path = dir.file("relay.json");
  {
    std::ofstream out(config_path);
    out << config.dump();
  }
  const std::string log_path = dir.file("relay.log");
  RelayProcess relay(config_path, log_path);
  EXPECT_EQ(relay.wait_exit(), 78);  // EX_CONFIG
  const auto json = nlohmann::json::parse(read_all(log_path), nullptr, false);
  ASSERT_TRUE(json.is_object()) << read_all(log_path);
  EXPECT_EQ(json["level"], "error");
  EXPECT_NE(json["msg"].get<std::string>().find("$.metrics.listen"), std::string::npos) << json.dump();
}

// The relay checks what it uses (tickets: Ed25519; cookies: BLAKE2b; table index: SipHash-2-4)
// against the operator's policy and refuses to start with exit 11 when one is not enabled.
TEST(RelayProcessMetrics, CryptoPolicyWithoutAnAlgorithmTheRelayUsesRefusesStartup) {
  rustynet::testing::TempDir dir;
  testing::TicketIssuer issuer(7);
  const std::string policy_path = dir.file("crypto-policy.json");
  const std::string config_path = dir.file("relay.json");
  const auto write = [](const std::string& path, const std::string& text) { std::ofstream(path) << text; };
  nlohmann::json config = {{"version", 1},
                           {"relay_id", "relay-1"},
                           {"listen", "127.0.0.1:0"},
                           {"control_public_key", issuer.public_key().to_base64()},
                           {"crypto_policy_file", policy_path}};
  write(config_path, config.dump());
  write(policy_path, R"({"version": 1, "allow": ["ed25519", "blake2b"]})");
  const std::string log_path = dir.file("relay.log");
  {
    RelayProcess relay(config_path, log_path);
    EXPECT_EQ(relay.wait_exit(), 11);
  }
  const auto json = nlohmann::json::parse(read_all(log_path), nullptr, false);
  ASSERT_TRUE(json.is_object()) << read_all(log_path);
  EXPECT_EQ(json["event"], "crypto_policy_refused");
  EXPECT_NE(json["msg"].get<std::string>().find("siphash-2-4"), std::string::npos) << json.dump();
  // With every algorithm it uses enabled it starts (and stops on SIGTERM).
  write(policy_path, R"({"version": 1, "allow": ["ed25519", "blake2b", "siphash-2-4"]})");
  RelayProcess started(config_path, dir.file("relay2.log"));
  ASSERT_TRUE(wait_started(dir.file("relay2.log")).has_value()) << read_all(dir.file("relay2.log"));
  EXPECT_EQ(started.stop(), 0) << read_all(dir.file("relay2.log"));
}

}  // namespace
}  // namespace rustynet::relay
