// SPDX-License-Identifier: Apache-2.0
// rustynet argument parsing: --help on every command and subcommand, usage errors exit 64.
#include <gtest/gtest.h>

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

INSTANTIATE_TEST_SUITE_P(EveryCommand, HelpTest,
                         ::testing::Values(std::vector<std::string>{"--help"}, std::vector<std::string>{"-h"},
                                           std::vector<std::string>{"status", "--help"},
                                           std::vector<std::string>{"peers", "--help"},
                                           std::vector<std::string>{"routes", "-h"},
                                           std::vector<std::string>{"netmap", "--help"},
                                           std::vector<std::string>{"policy", "--help"},
                                           std::vector<std::string>{"policy", "check", "--help"},
                                           // --help wins even when the rest of the line is incomplete or wrong.
                                           std::vector<std::string>{"policy", "check", "a", "--help"},
                                           std::vector<std::string>{"status", "--socket", "/x", "--help"},
                                           std::vector<std::string>{"keys", "--help"}));

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
    ::testing::Values(std::vector<std::string>{}, std::vector<std::string>{"no-such-command"},
                      std::vector<std::string>{"--no-such-flag"}, std::vector<std::string>{"status", "extra"},
                      std::vector<std::string>{"status", "--verbose"}, std::vector<std::string>{"peers", "--socket"},
                      std::vector<std::string>{"routes", "--socket", ""}, std::vector<std::string>{"netmap", "x"},
                      std::vector<std::string>{"policy"}, std::vector<std::string>{"policy", "set"},
                      std::vector<std::string>{"policy", "check"},
                      std::vector<std::string>{"policy", "check", "a", "b", "tcp"},
                      std::vector<std::string>{"policy", "check", "a", "b", "tcp", "22", "extra"},
                      std::vector<std::string>{"policy", "check", "a", "b", "sctp", "22"},
                      std::vector<std::string>{"policy", "check", "a", "b", "tcp", "65536"},
                      std::vector<std::string>{"policy", "check", "a", "b", "tcp", "22x"},
                      std::vector<std::string>{"policy", "check", "a", "b", "tcp", "-1"},
                      std::vector<std::string>{"policy", "check", "a", "b", "tcp", ""},
                      std::vector<std::string>{"policy", "check", "", "b", "tcp", "22"},
                      std::vector<std::string>{"keys"}));

TEST(CliUsageTest, UnknownCommandIsEchoedTerminalSafe) {
  const auto outcome = run_cli({"st\x1b[2Jatus"});
  EXPECT_EQ(outcome.code, kExitUsage);
  EXPECT_EQ(outcome.err.find('\x1b'), std::string::npos);
  EXPECT_NE(outcome.err.find("st?[2Jatus"), std::string::npos);
}

}  // namespace
}  // namespace rustynet::apps::cli
