// SPDX-License-Identifier: Apache-2.0
// Local-API commands against a fake daemon on a temporary Unix socket: request lines, tables,
// --json, exit codes and every error path (absent daemon, refusals, malformed/oversize answers).
#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cli_main.hpp"
#include "exit_codes.hpp"
#include "fake_daemon.hpp"
#include "manual_clock.hpp"
#include "temp_dir.hpp"

namespace rustynet::apps::cli {
namespace {

using nlohmann::json;
using testing::FakeDaemon;
using testing::FakeReply;

constexpr std::int64_t kNow = 1'800'000'000;  // 2027-01-15T08:00:00Z

FakeReply ok_reply(const json& result) {
  return FakeReply{json{{"version", 1}, {"ok", true}, {"result", result}}.dump() + "\n"};
}

FakeReply error_reply(const std::string& kind, const std::string& message) {
  return FakeReply{json{{"version", 1}, {"ok", false}, {"error", kind}, {"message", message}}.dump() + "\n"};
}

json status_result() {
  return json{
      {"node_id", "n1"},
      {"state", "running"},
      {"backend", "kernel"},
      {"interface", "rn0"},
      {"addresses", {"100.64.0.1"}},
      {"generation", 42},
      {"control", {{"connected", true}, {"last_sync_unix", kNow - 12}, {"last_error", nullptr}, {"removed", nullptr}}},
      {"peers_total", 2},
      {"peers_with_handshake", 1},
      {"filter", {{"backend", "nftables"}, {"generation", 7}, {"restores", 0}, {"last_error", nullptr}}}};
}

json peers_result() {
  return json{{"peers",
               {{{"node_id", "n2"},
                 {"endpoint", "192.0.2.20:51820"},
                 {"allowed_prefixes", {"100.64.0.2/32"}},
                 {"rx_bytes", 1536},
                 {"tx_bytes", 20},
                 {"last_handshake_unix", kNow - 5}},
                {{"node_id", "laptop-3"},
                 {"endpoint", nullptr},
                 {"allowed_prefixes", {"100.64.0.3/32", "fd00::3/128"}},
                 {"rx_bytes", 0},
                 {"tx_bytes", 0},
                 {"last_handshake_unix", 0}}}}};
}

json netmap_result() {
  return json{{"generation", 42},         {"signer_key_id", "k-3f2a"},
              {"issued_at", kNow - 3600}, {"expires_at", kNow + 23 * 3600},
              {"policy_digest", "ab12"},  {"peers", {"n2", "laptop-3"}}};
}

class CliLocalTest : public ::testing::Test {
 protected:
  int run(const std::vector<std::string>& args) {
    out_.str("");
    err_.str("");
    CliContext ctx{.out = out_,
                   .err = err_,
                   .clock = clock_,
                   .default_socket = socket_,
                   .max_response_bytes = max_response_bytes_,
                   .timeout = timeout_,
                   .env = {},
                   .control_tuning = {},
                   .system_cli_config = ""};
    return cli::run(args, ctx);
  }

  testing::TempDir dir_;
  testing::ManualClock clock_{kNow};
  std::string socket_ = dir_.file("rustynetd.sock");
  std::size_t max_response_bytes_ = kMaxLocalResponseBytes;
  std::chrono::milliseconds timeout_{10'000};
  std::ostringstream out_;
  std::ostringstream err_;
};

TEST_F(CliLocalTest, StatusSendsOneRequestLineAndPrintsAList) {
  const FakeDaemon daemon(socket_, {ok_reply(status_result())});
  ASSERT_EQ(run({"status"}), kExitOk) << err_.str();
  EXPECT_EQ(daemon.requests(), std::vector<std::string>{R"({"method":"status","version":1})"});
  EXPECT_EQ(out_.str(),
            "node           n1\n"
            "state          running\n"
            "backend        kernel\n"
            "interface      rn0\n"
            "addresses      100.64.0.1\n"
            "generation     42\n"
            "control        connected\n"
            "last sync      2027-01-15T07:59:48Z (12s ago)\n"
            "last error     -\n"
            "peers          2 (1 with a recent handshake)\n"
            "packet filter  generation 7 (nftables)\n");
  EXPECT_TRUE(err_.str().empty());
}

TEST_F(CliLocalTest, StatusOfANodeControlRemovedSaysSo) {
  json result = status_result();
  result["state"] = "removed";
  result["control"]["connected"] = false;
  result["control"]["removed"] = "removed from the mesh by control (HTTP 401 node_removed)";
  const FakeDaemon daemon(socket_, {ok_reply(result)});
  ASSERT_EQ(run({"status"}), kExitOk) << err_.str();
  EXPECT_NE(out_.str().find("state          removed\n"), std::string::npos) << out_.str();
  EXPECT_NE(out_.str().find("control        removed from the mesh by control (HTTP 401 node_removed)\n"),
            std::string::npos)
      << out_.str();
}

TEST_F(CliLocalTest, StatusJsonPrintsTheDaemonResult) {
  const FakeDaemon daemon(socket_, {ok_reply(status_result())});
  ASSERT_EQ(run({"status", "--json"}), kExitOk) << err_.str();
  EXPECT_EQ(json::parse(out_.str()), status_result());
  EXPECT_EQ(out_.str(), status_result().dump() + "\n");
}

TEST_F(CliLocalTest, SocketOptionOverridesTheDefault) {
  const std::string other = dir_.file("other.sock");
  const FakeDaemon daemon(other, {ok_reply(status_result()), ok_reply(status_result())});
  EXPECT_EQ(run({"status", "--socket", other}), kExitOk) << err_.str();
  EXPECT_EQ(run({"status", "--socket=" + other, "--json"}), kExitOk) << err_.str();
  EXPECT_EQ(daemon.requests().size(), 2U);
}

TEST_F(CliLocalTest, PeersTable) {
  const FakeDaemon daemon(socket_, {ok_reply(peers_result())});
  ASSERT_EQ(run({"peers"}), kExitOk) << err_.str();
  EXPECT_EQ(daemon.requests(), std::vector<std::string>{R"({"method":"peers","version":1})"});
  EXPECT_EQ(out_.str(),
            "NODE      ENDPOINT          ALLOWED PREFIXES           RX       TX    LAST HANDSHAKE\n"
            "n2        192.0.2.20:51820  100.64.0.2/32              1.5 KiB  20 B  2027-01-15T07:59:55Z (5s ago)\n"
            "laptop-3  -                 100.64.0.3/32,fd00::3/128  0 B      0 B   never\n");
}

TEST_F(CliLocalTest, PeersJsonAndEmptyList) {
  const FakeDaemon daemon(socket_, {ok_reply(peers_result()), ok_reply(json{{"peers", json::array()}})});
  ASSERT_EQ(run({"peers", "--json"}), kExitOk);
  EXPECT_EQ(json::parse(out_.str()), peers_result());
  ASSERT_EQ(run({"peers"}), kExitOk);
  EXPECT_EQ(out_.str().rfind("no peers", 0), 0U) << out_.str();
}

TEST_F(CliLocalTest, RoutesTable) {
  const json result = {{"routes",
                        {{{"destination", "100.64.0.2/32"}, {"via", "n2"}, {"kind", "mesh"}},
                         {{"destination", "0.0.0.0/0"}, {"via", "exit-1"}, {"kind", "exit"}}}}};
  const FakeDaemon daemon(socket_, {ok_reply(result), ok_reply(result)});
  ASSERT_EQ(run({"routes"}), kExitOk) << err_.str();
  EXPECT_EQ(daemon.requests().at(0), R"({"method":"routes","version":1})");
  EXPECT_EQ(out_.str(),
            "DESTINATION    VIA     KIND\n"
            "100.64.0.2/32  n2      mesh\n"
            "0.0.0.0/0      exit-1  exit\n");
  ASSERT_EQ(run({"routes", "--json"}), kExitOk);
  EXPECT_EQ(json::parse(out_.str()), result);
}

TEST_F(CliLocalTest, NetmapShowsGenerationSignerAndExpiry) {
  const FakeDaemon daemon(socket_, {ok_reply(netmap_result()), ok_reply(netmap_result())});
  ASSERT_EQ(run({"netmap"}), kExitOk) << err_.str();
  EXPECT_EQ(daemon.requests().at(0), R"({"method":"netmap","version":1})");
  EXPECT_EQ(out_.str(),
            "generation     42\n"
            "signer key id  k-3f2a\n"
            "issued         2027-01-15T07:00:00Z (60m ago)\n"
            "expires        2027-01-16T07:00:00Z (in 23h)\n"
            "policy digest  ab12\n"
            "peers          2: n2, laptop-3\n");
  clock_.advance(std::chrono::hours(24));
  ASSERT_EQ(run({"netmap"}), kExitOk);
  EXPECT_NE(out_.str().find("(60m ago) EXPIRED"), std::string::npos) << out_.str();
}

TEST_F(CliLocalTest, PolicyCheckSendsParamsAndMapsTheDecisionToTheExitCode) {
  const json allow = {{"decision", "allow"}, {"rule", "laptops-to-servers"}, {"reason", "tags match"}};
  const json deny = {{"decision", "deny"}, {"rule", nullptr}, {"reason", "no rule matches"}};
  const FakeDaemon daemon(socket_, {ok_reply(allow), ok_reply(deny), ok_reply(deny)});
  EXPECT_EQ(run({"policy", "check", "n1", "n2", "tcp", "22"}), kExitOk) << err_.str();
  EXPECT_EQ(out_.str(),
            "decision  allow\n"
            "rule      laptops-to-servers\n"
            "reason    tags match\n");
  EXPECT_EQ(run({"policy", "check", "n3", "100.64.0.2", "icmp", "0"}), kExitFailure);
  EXPECT_EQ(out_.str(),
            "decision  deny\n"
            "rule      (none: default deny)\n"
            "reason    no rule matches\n");
  EXPECT_EQ(run({"policy", "check", "--json", "n3", "n2", "any", "0"}), kExitFailure);
  EXPECT_EQ(json::parse(out_.str()), deny);
  const auto requests = daemon.requests();
  ASSERT_EQ(requests.size(), 3U);
  EXPECT_EQ(requests[0],
            R"({"method":"policy_check","params":{"dst":"n2","port":22,"proto":"tcp","src":"n1"},"version":1})");
  EXPECT_EQ(json::parse(requests[1])["params"],
            (json{{"src", "n3"}, {"dst", "100.64.0.2"}, {"proto", "icmp"}, {"port", 0}}));
}

TEST_F(CliLocalTest, PolicyCheckExplainShowsTheKernelFilterAndFailsWhenItDisagrees) {
  const json filter_holds = {{"enforced_here", true},  {"holds", true},          {"generation", 3},
                             {"direction", "inbound"}, {"remote", "100.64.0.2"}, {"local", "100.64.0.1"},
                             {"error", nullptr}};
  json agrees = {{"decision", "allow"}, {"rule", "ssh"}, {"reason", "matched_allow"}, {"filter", filter_holds}};
  json disagrees = agrees;
  disagrees["filter"]["holds"] = false;
  json elsewhere = {{"decision", "deny"},
                    {"rule", nullptr},
                    {"reason", "default_deny"},
                    {"filter",
                     {{"enforced_here", false},
                      {"holds", nullptr},
                      {"generation", 3},
                      {"direction", nullptr},
                      {"remote", nullptr},
                      {"local", nullptr},
                      {"error", nullptr}}}};
  const FakeDaemon daemon(socket_, {ok_reply(agrees), ok_reply(disagrees), ok_reply(elsewhere)});
  EXPECT_EQ(run({"policy", "check", "n2", "n1", "tcp", "22", "--explain"}), kExitOk) << err_.str();
  EXPECT_NE(out_.str().find("kernel filter  passes (inbound, 100.64.0.2 <-> 100.64.0.1, generation 3)\n"),
            std::string::npos)
      << out_.str();
  EXPECT_EQ(run({"policy", "check", "--explain", "n2", "n1", "tcp", "22"}), kExitFailure);
  EXPECT_NE(out_.str().find("DISAGREES"), std::string::npos) << out_.str();
  EXPECT_EQ(run({"policy", "check", "n2", "n3", "tcp", "22", "--explain"}), kExitFailure);
  EXPECT_NE(out_.str().find("not enforced on this node"), std::string::npos) << out_.str();
  const auto requests = daemon.requests();
  ASSERT_EQ(requests.size(), 3U);
  EXPECT_EQ(json::parse(requests[0])["params"]["explain"], true);
}

TEST_F(CliLocalTest, ReloadAndItsRefusal) {
  const FakeDaemon daemon(
      socket_, {ok_reply(json{{"reloaded", true}}), error_reply("forbidden", "reload needs root or the admin group")});
  EXPECT_EQ(run({"reload"}), kExitOk) << err_.str();
  EXPECT_EQ(out_.str(), "reloaded\n");
  EXPECT_EQ(daemon.requests().at(0), R"({"method":"reload","version":1})");
  EXPECT_EQ(run({"reload"}), kExitPermission);
  EXPECT_NE(err_.str().find("reload needs root or the admin group"), std::string::npos) << err_.str();
}

TEST_F(CliLocalTest, DaemonAbsentExitsTwo) {
  EXPECT_EQ(run({"status"}), kExitUnreachable);
  EXPECT_NE(err_.str().find("cannot reach rustynetd"), std::string::npos) << err_.str();
  EXPECT_NE(err_.str().find(socket_), std::string::npos) << err_.str();
  EXPECT_TRUE(out_.str().empty());
}

TEST_F(CliLocalTest, StaleSocketFileWithNobodyListeningExitsTwo) {
  { const FakeDaemon daemon(socket_, {}); }
  // The fake removed its socket; a plain file is what a crashed daemon can leave behind too.
  const int fd = ::open(socket_.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0);
  ::close(fd);
  EXPECT_EQ(run({"peers"}), kExitUnreachable);
  EXPECT_NE(err_.str().find("cannot reach rustynetd"), std::string::npos) << err_.str();
}

TEST_F(CliLocalTest, ErrorResponseExitsOneWithTheDaemonsMessage) {
  const FakeDaemon daemon(socket_, {error_reply("unavailable", "no verified peer map yet")});
  EXPECT_EQ(run({"netmap"}), kExitFailure);
  EXPECT_EQ(err_.str(), "rustynet netmap: rustynetd refused the request (unavailable): no verified peer map yet\n");
  EXPECT_TRUE(out_.str().empty());
}

TEST_F(CliLocalTest, ForbiddenExitsSeventySeven) {
  const FakeDaemon daemon(socket_, {error_reply("forbidden", "uid 1000 may not call reload")});
  EXPECT_EQ(run({"status"}), kExitPermission);
  EXPECT_NE(err_.str().find("forbidden"), std::string::npos);
}

TEST_F(CliLocalTest, DaemonTextIsMadeTerminalSafe) {
  json result = status_result();
  result["node_id"] = "n1\x1b]0;pwned\x07";
  const FakeDaemon daemon(socket_, {ok_reply(result), error_reply("internal", "bad\x1b[2J")});
  ASSERT_EQ(run({"status"}), kExitOk);
  EXPECT_EQ(out_.str().find('\x1b'), std::string::npos);
  EXPECT_NE(out_.str().find("n1?]0;pwned?"), std::string::npos) << out_.str();
  EXPECT_EQ(run({"status"}), kExitFailure);
  EXPECT_EQ(err_.str().find('\x1b'), std::string::npos);
}

struct MalformedCase {
  const char* name;
  std::string reply;
  const char* expected_message;
};

class CliMalformedTest : public CliLocalTest, public ::testing::WithParamInterface<MalformedCase> {};

TEST_P(CliMalformedTest, ExitsOneWithAClearMessage) {
  const FakeDaemon daemon(socket_, {FakeReply{GetParam().reply}});
  EXPECT_EQ(run({"status"}), kExitFailure);
  EXPECT_TRUE(out_.str().empty()) << out_.str();
  EXPECT_NE(err_.str().find(GetParam().expected_message), std::string::npos) << err_.str();
}

json with(json base, const std::string& key, json value) {
  base[key] = std::move(value);
  return base;
}

INSTANTIATE_TEST_SUITE_P(
    BrokenAnswers, CliMalformedTest,
    ::testing::Values(MalformedCase{"not_json", "hello\n", "malformed response from rustynetd"},
                      MalformedCase{"trailing",
                                    R"({"version":1,"ok":true,"result":{}} x)"
                                    "\n",
                                    "malformed response"},
                      MalformedCase{"duplicate_key",
                                    R"({"version":1,"ok":true,"ok":true,"result":{}})"
                                    "\n",
                                    "malformed"},
                      MalformedCase{"wrong_version",
                                    R"({"version":2,"ok":true,"result":{}})"
                                    "\n",
                                    "unsupported version 2"},
                      MalformedCase{"unknown_envelope_field",
                                    R"({"version":1,"ok":true,"result":{},"extra":1})"
                                    "\n",
                                    "$.extra: unknown field"},
                      MalformedCase{"result_not_object",
                                    R"({"version":1,"ok":true,"result":[]})"
                                    "\n",
                                    "$.result"},
                      MalformedCase{"error_without_message",
                                    R"({"version":1,"ok":false,"error":"internal"})"
                                    "\n",
                                    "$.message: is required"},
                      MalformedCase{"missing_result_field",
                                    ok_reply(with(status_result(), "generation", nullptr)).bytes,
                                    "$.result.generation: must be an integer"},
                      MalformedCase{"unknown_result_field", ok_reply(with(status_result(), "debug", true)).bytes,
                                    "$.result.debug: unknown field"},
                      MalformedCase{"bad_state", ok_reply(with(status_result(), "state", "exploded")).bytes,
                                    "$.result.state: must be one of"},
                      MalformedCase{"negative_count", ok_reply(with(status_result(), "peers_total", -1)).bytes,
                                    "$.result.peers_total: must not be negative"},
                      MalformedCase{"truncated", R"({"version":1,"ok":true)", "truncated"},
                      MalformedCase{"closed_silently", "", "closed the connection without a response"}),
    [](const ::testing::TestParamInfo<MalformedCase>& param_info) { return std::string(param_info.param.name); });

TEST_F(CliLocalTest, MalformedJsonOutputIsNotPrintedEither) {
  const FakeDaemon daemon(socket_, {ok_reply(with(peers_result(), "extra", 1))});
  EXPECT_EQ(run({"peers", "--json"}), kExitFailure);
  EXPECT_TRUE(out_.str().empty());
}

TEST_F(CliLocalTest, OversizeResponseIsBoundedAndRefused) {
  max_response_bytes_ = 1024;
  const FakeDaemon daemon(socket_, {FakeReply{std::string(64 * 1024, 'x')}});
  EXPECT_EQ(run({"status"}), kExitFailure);
  EXPECT_NE(err_.str().find("exceeds the limit of 1024 bytes"), std::string::npos) << err_.str();
}

TEST_F(CliLocalTest, DefaultLimitIsEightMebibytes) {
  // A valid line of exactly 8 MiB is accepted; one byte more is refused.
  json result = status_result();
  const std::string skeleton = json{{"version", 1}, {"ok", true}, {"result", with(result, "backend", "")}}.dump();
  result["backend"] = std::string(kMaxLocalResponseBytes - skeleton.size(), 'b');
  const std::string exact = json{{"version", 1}, {"ok", true}, {"result", result}}.dump();
  ASSERT_EQ(exact.size(), kMaxLocalResponseBytes);
  result["backend"] = std::string(kMaxLocalResponseBytes - skeleton.size() + 1, 'b');
  const std::string over = json{{"version", 1}, {"ok", true}, {"result", result}}.dump();
  const FakeDaemon daemon(socket_, {FakeReply{exact + "\n"}, FakeReply{over + "\n"}});
  EXPECT_EQ(run({"status", "--json"}), kExitOk) << err_.str();
  EXPECT_EQ(run({"status", "--json"}), kExitFailure);
  EXPECT_NE(err_.str().find("exceeds the limit of 8388608 bytes"), std::string::npos) << err_.str();
}

TEST_F(CliLocalTest, SilentDaemonTimesOutAsUnreachable) {
  timeout_ = std::chrono::milliseconds{50};
  const FakeDaemon daemon(socket_, {FakeReply{"", true, true}});
  EXPECT_EQ(run({"status"}), kExitUnreachable);
  EXPECT_NE(err_.str().find("did not answer in time"), std::string::npos) << err_.str();
}

}  // namespace
}  // namespace rustynet::apps::cli
