// SPDX-License-Identifier: Apache-2.0
// rustynet argument parsing: --help on every command and subcommand, usage errors exit 64.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include "cli_main.hpp"
#include "exit_codes.hpp"
#include "manual_clock.hpp"

namespace rustynet::apps::cli {
namespace {

struct Outcome {
  int code;
  std::string out;
  std::string err;
};

Outcome run_cli(const std::vector<std::string>& args) {
  std::ostringstream out;
  std::ostringstream err;
  const testing::ManualClock clock;
  CliContext ctx{.out = out,
                 .err = err,
                 .clock = clock,
                 // A path nothing listens on: a parsing bug that reached the daemon call exits 2, not 64/0.
                 .default_socket = "/nonexistent/rustynet-usage-test.sock",
                 .max_response_bytes = kMaxLocalResponseBytes,
                 .timeout = std::chrono::milliseconds{1000},
                 .env = {},
                 .control_tuning = {},
                 .system_cli_config = ""};
  const int code = run(args, ctx);
  return {code, out.str(), err.str()};
}

class HelpTest : public ::testing::TestWithParam<std::vector<std::string>> {};

TEST_P(HelpTest, PrintsUsageToStdoutAndExitsZero) {
  const auto outcome = run_cli(GetParam());
  EXPECT_EQ(outcome.code, kExitOk) << outcome.err;
  EXPECT_EQ(outcome.out.rfind("usage: rustynet", 0), 0U) << outcome.out;
  EXPECT_TRUE(outcome.err.empty()) << outcome.err;
}

INSTANTIATE_TEST_SUITE_P(
    EveryCommand, HelpTest,
    ::testing::Values(std::vector<std::string>{"--help"}, std::vector<std::string>{"-h"},
                      std::vector<std::string>{"status", "--help"}, std::vector<std::string>{"peers", "--help"},
                      std::vector<std::string>{"routes", "-h"}, std::vector<std::string>{"netmap", "--help"},
                      std::vector<std::string>{"policy", "--help"},
                      std::vector<std::string>{"policy", "check", "--help"},
                      // --help wins even when the rest of the line is incomplete or wrong.
                      std::vector<std::string>{"policy", "check", "a", "--help"},
                      std::vector<std::string>{"status", "--socket", "/x", "--help"},
                      std::vector<std::string>{"keys", "--help"}, std::vector<std::string>{"reload", "--help"},
                      std::vector<std::string>{"control", "--help"},
                      std::vector<std::string>{"control", "node", "--help"},
                      std::vector<std::string>{"control", "node", "add", "--help"},
                      std::vector<std::string>{"control", "node", "remove", "-h"},
                      std::vector<std::string>{"control", "node", "list", "--help"},
                      std::vector<std::string>{"control", "policy", "--help"},
                      std::vector<std::string>{"control", "policy", "get", "--help"},
                      std::vector<std::string>{"control", "policy", "set", "--help"},
                      std::vector<std::string>{"control", "revoke", "--help"}));

TEST(CliUsageTest, HelpTextsNameTheirCommand) {
  EXPECT_NE(run_cli({"status", "--help"}).out.find("rustynet status"), std::string::npos);
  EXPECT_NE(run_cli({"peers", "--help"}).out.find("rustynet peers"), std::string::npos);
  EXPECT_NE(run_cli({"routes", "--help"}).out.find("rustynet routes"), std::string::npos);
  EXPECT_NE(run_cli({"netmap", "--help"}).out.find("rustynet netmap"), std::string::npos);
  EXPECT_NE(run_cli({"policy", "check", "--help"}).out.find("SRC DST PROTO PORT"), std::string::npos);
  const auto top = run_cli({"--help"});
  for (const char* word : {"status", "peers", "routes", "netmap", "policy check", "keys", "77"}) {
    EXPECT_NE(top.out.find(word), std::string::npos) << word;
  }
}

TEST(CliUsageTest, VersionPrintsTheProjectVersion) {
  const auto outcome = run_cli({"--version"});
  EXPECT_EQ(outcome.code, kExitOk);
  EXPECT_EQ(outcome.out.rfind("rustynet 0.", 0), 0U) << outcome.out;
  EXPECT_EQ(outcome.out.back(), '\n');
}

class UsageErrorTest : public ::testing::TestWithParam<std::vector<std::string>> {};

TEST_P(UsageErrorTest, ExitsSixtyFourWithUsageOnStderr) {
  const auto outcome = run_cli(GetParam());
  EXPECT_EQ(outcome.code, kExitUsage) << outcome.err;
  EXPECT_TRUE(outcome.out.empty()) << outcome.out;
  EXPECT_NE(outcome.err.find("usage: rustynet"), std::string::npos) << outcome.err;
}

INSTANTIATE_TEST_SUITE_P(
    BadLines, UsageErrorTest,
    ::testing::Values(
        std::vector<std::string>{}, std::vector<std::string>{"no-such-command"},
        std::vector<std::string>{"--no-such-flag"}, std::vector<std::string>{"status", "extra"},
        std::vector<std::string>{"status", "--verbose"}, std::vector<std::string>{"peers", "--socket"},
        std::vector<std::string>{"routes", "--socket", ""}, std::vector<std::string>{"netmap", "x"},
        std::vector<std::string>{"policy"}, std::vector<std::string>{"policy", "set"},
        std::vector<std::string>{"policy", "check"}, std::vector<std::string>{"policy", "check", "a", "b", "tcp"},
        std::vector<std::string>{"policy", "check", "a", "b", "tcp", "22", "extra"},
        std::vector<std::string>{"policy", "check", "a", "b", "sctp", "22"},
        std::vector<std::string>{"policy", "check", "a", "b", "tcp", "65536"},
        std::vector<std::string>{"policy", "check", "a", "b", "tcp", "22x"},
        std::vector<std::string>{"policy", "check", "a", "b", "tcp", "-1"},
        std::vector<std::string>{"policy", "check", "a", "b", "tcp", ""},
        std::vector<std::string>{"policy", "check", "", "b", "tcp", "22"}, std::vector<std::string>{"keys"},
        std::vector<std::string>{"reload", "now"}, std::vector<std::string>{"control"},
        std::vector<std::string>{"control", "nodes"}, std::vector<std::string>{"control", "node"},
        std::vector<std::string>{"control", "node", "rename"},
        std::vector<std::string>{"control", "node", "list", "extra"},
        std::vector<std::string>{"control", "node", "remove"},
        std::vector<std::string>{"control", "node", "remove", "bad/id"},
        std::vector<std::string>{"control", "node", "add", "n1"},
        std::vector<std::string>{"control", "node", "add", "n1", "--identity-key", "A", "--tunnel-key", "B"},
        std::vector<std::string>{"control", "node", "list", "--pin", "a", "--ca", "b"},
        std::vector<std::string>{"control", "node", "list", "--secret-fd", "x"},
        std::vector<std::string>{"control", "node", "list", "--control"},
        std::vector<std::string>{"control", "node", "list", "--bogus", "1"},
        std::vector<std::string>{"control", "policy"}, std::vector<std::string>{"control", "policy", "set"},
        std::vector<std::string>{"control", "policy", "get", "x"}, std::vector<std::string>{"control", "revoke"},
        std::vector<std::string>{"control", "revoke", "--subject", "a", "--token-id", "b"}));

TEST(CliUsageTest, MissingOrInvalidControlSettingsAreUsageErrors) {
  // No CLI config file exists in this test, so the connection must come from the command line.
  auto outcome = run_cli({"control", "node", "list"});
  EXPECT_EQ(outcome.code, kExitUsage);
  EXPECT_NE(outcome.err.find("--control HOST:PORT"), std::string::npos) << outcome.err;
  outcome = run_cli({"control", "node", "list", "--control", "h:1"});
  EXPECT_EQ(outcome.code, kExitUsage);
  EXPECT_NE(outcome.err.find("exactly one of --pin SHA256 or --ca FILE"), std::string::npos) << outcome.err;
  outcome = run_cli({"control", "node", "list", "--control", "h:1", "--pin", "p"});
  EXPECT_EQ(outcome.code, kExitUsage);
  EXPECT_NE(outcome.err.find("pin_sha256"), std::string::npos) << outcome.err;
  outcome = run_cli({"control", "node", "list", "--control", "h:1", "--pin", std::string(64, 'a')});
  EXPECT_EQ(outcome.code, kExitUsage);
  EXPECT_NE(outcome.err.find("--admin-key-dir"), std::string::npos) << outcome.err;
  outcome = run_cli({"control", "node", "list", "--control", "h:1", "--pin", std::string(64, 'a'), "--admin-key-dir",
                     "/nonexistent"});
  EXPECT_EQ(outcome.code, kExitUsage);
  EXPECT_NE(outcome.err.find("--secret-fd N or --secret-file PATH"), std::string::npos) << outcome.err;
}

TEST(CliUsageTest, SecretOnTheControlCommandLineIsRefusedWithoutEcho) {
  for (const char* flag : {"--secret", "--password=hunter2", "--token", "--private-key"}) {
    const auto outcome = run_cli({"control", "node", "list", flag, "hunter2"});
    EXPECT_EQ(outcome.code, kExitUsage) << flag;
    EXPECT_EQ(outcome.err.find("hunter2"), std::string::npos) << outcome.err;
  }
}

TEST(CliUsageTest, UnknownCommandIsEchoedTerminalSafe) {
  const auto outcome = run_cli({"st\x1b[2Jatus"});
  EXPECT_EQ(outcome.code, kExitUsage);
  EXPECT_EQ(outcome.err.find('\x1b'), std::string::npos);
  EXPECT_NE(outcome.err.find("st?[2Jatus"), std::string::npos);
}

TEST(CliUsageTest, LogFormatJsonTurnsDiagnosticsIntoJsonLines) {
  const auto json = run_cli({"--log-format", "json", "--log-level", "warn", "bogus"});
  EXPECT_EQ(json.code, kExitUsage);
  EXPECT_TRUE(json.out.empty());
  // The usage text after the error is info: dropped at warn, so exactly one line remains.
  ASSERT_EQ(std::count(json.err.begin(), json.err.end(), '\n'), 1) << json.err;
  const auto line = nlohmann::json::parse(json.err, nullptr, false);
  ASSERT_TRUE(line.is_object()) << json.err;
  EXPECT_EQ(line["program"], "rustynet");
  EXPECT_EQ(line["level"], "error");
  EXPECT_EQ(line["event"], "error");
  EXPECT_EQ(line["msg"], "unknown command 'bogus'");
  // The daemon being unreachable (exit 2) is reported the same way; stdout stays empty.
  const auto unreachable = run_cli({"--log-format", "json", "status"});
  EXPECT_EQ(unreachable.code, 2);
  const auto first = nlohmann::json::parse(unreachable.err.substr(0, unreachable.err.find('\n')), nullptr, false);
  ASSERT_TRUE(first.is_object()) << unreachable.err;
  EXPECT_EQ(first["level"], "error");
  EXPECT_EQ(first["command"], "status");
  EXPECT_NE(first["msg"].get<std::string>().find("cannot reach rustynetd"), std::string::npos) << first.dump();
  // Text stays the default, and a bad value is a usage error.
  EXPECT_EQ(run_cli({"bogus"}).err.rfind("rustynet: unknown command 'bogus'", 0), 0U);
  EXPECT_EQ(run_cli({"--log-format", "xml", "status"}).code, kExitUsage);
  EXPECT_EQ(run_cli({"--log-level", "loud", "status"}).code, kExitUsage);
  EXPECT_EQ(run_cli({"--log-format"}).code, kExitUsage);
}

}  // namespace
}  // namespace rustynet::apps::cli
