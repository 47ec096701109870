// SPDX-License-Identifier: Apache-2.0
// run_bounded_command with ordinary programs: input, output, exit status, environment, descriptor
// hygiene, and the failure modes (missing binary, namespace, timeout, output bound).
#include "bounded_command.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <csignal>

namespace rustynet::backend_wireguard {
namespace {

BoundedCommand command(std::string binary, std::vector<std::string> arguments) {
  BoundedCommand result;
  result.binary = std::move(binary);
  result.arguments = std::move(arguments);
  result.timeout = std::chrono::seconds(10);
  return result;
}

TEST(BoundedCommandTest, FeedsInputAndCapturesBothStreams) {
  BoundedCommand cat = command("/bin/cat", {});
  cat.input = std::string(300000, 'x') + "end";  // larger than a pipe buffer
  const auto output = run_bounded_command(cat);
  ASSERT_TRUE(output.has_value()) << output.error().describe();
  EXPECT_EQ(output->exit_status, 0);
  EXPECT_EQ(output->out, cat.input);
  EXPECT_TRUE(output->err.empty());

  const auto missing = run_bounded_command(command("/bin/ls", {"/nonexistent-rustynet"}));
  ASSERT_TRUE(missing.has_value());
  EXPECT_NE(missing->exit_status, 0);
  EXPECT_FALSE(missing->err.empty());
  EXPECT_TRUE(missing->out.empty());
}

TEST(BoundedCommandTest, InputCanBeReopenedThroughDevStdin) {
  BoundedCommand cat = command("/bin/cat", {"/dev/stdin"});
  cat.input = "reopened\n";
  const auto output = run_bounded_command(cat);
  ASSERT_TRUE(output.has_value());
  EXPECT_EQ(output->out, "reopened\n");
}

TEST(BoundedCommandTest, ReportsTheExitStatus) {
  const auto output = run_bounded_command(command("/bin/sh", {"-c", "exit 3"}));
  ASSERT_TRUE(output.has_value());
  EXPECT_EQ(output->exit_status, 3);
}

TEST(BoundedCommandTest, EnvironmentIsExactlyTheGivenOne) {
  BoundedCommand env = command("/usr/bin/env", {});
  env.environment = {"LC_ALL=C", "ONLY=this"};
  const auto output = run_bounded_command(env);
  ASSERT_TRUE(output.has_value());
  EXPECT_EQ(output->out, "LC_ALL=C\nONLY=this\n");
}

TEST(BoundedCommandTest, CallerDescriptorsAreNotInherited) {
  // Deliberately without close-on-exec, and high enough not to be confused with ls's own.
  const int opened = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(opened, 0);
  const int leaked = ::fcntl(opened, F_DUPFD, 100);
  ::close(opened);
  ASSERT_GE(leaked, 100);
  const auto output = run_bounded_command(command("/bin/sh", {"-c", "ls /proc/self/fd"}));
  ::close(leaked);
  ASSERT_TRUE(output.has_value());
  EXPECT_EQ(output->out.find(std::to_string(leaked) + "\n"), std::string::npos) << output->out;
}

TEST(BoundedCommandTest, MissingBinary) {
  const auto output = run_bounded_command(command("/nonexistent/rustynet-nft", {}));
  ASSERT_FALSE(output.has_value());
  EXPECT_EQ(output.error().failure, CommandFailure::kBinaryMissing);
  EXPECT_NE(output.error().describe().find("/nonexistent/rustynet-nft"), std::string::npos);
}

TEST(BoundedCommandTest, MissingNamespace) {
  BoundedCommand in_netns = command("/bin/true", {});
  in_netns.netns_path = "/var/run/netns/rustynet-does-not-exist";
  const auto output = run_bounded_command(in_netns);
  ASSERT_FALSE(output.has_value());
  EXPECT_EQ(output.error().failure, CommandFailure::kNamespace);
}

TEST(BoundedCommandTest, TimeoutKillsTheWholeGroup) {
  BoundedCommand slow = command("/bin/sh", {"-c", "sleep 30 & sleep 30"});
  slow.timeout = std::chrono::milliseconds(300);
  const auto start = std::chrono::steady_clock::now();
  const auto output = run_bounded_command(slow);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(output.has_value());
  EXPECT_EQ(output.error().failure, CommandFailure::kTimeout);
  EXPECT_LT(elapsed, std::chrono::seconds(5));
}

TEST(BoundedCommandTest, OutputBeyondTheBoundKillsTheProgram) {
  BoundedCommand noisy = command("/usr/bin/yes", {});
  noisy.max_output_bytes = 100000;
  const auto output = run_bounded_command(noisy);
  ASSERT_FALSE(output.has_value());
  EXPECT_EQ(output.error().failure, CommandFailure::kOutputTooLarge);
}

TEST(BoundedCommandTest, DeathBySignalIsAnError) {
  const auto output = run_bounded_command(command("/bin/sh", {"-c", "kill -9 $$"}));
  ASSERT_FALSE(output.has_value());
  EXPECT_EQ(output.error().failure, CommandFailure::kSignalled);
}

TEST(BoundedCommandTest, ALostExitStatusIsAnErrorNotASuccess) {
  // With SIGCHLD ignored the kernel reaps children itself: "exited 0" must not be assumed.
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  struct sigaction previous {};
  ASSERT_EQ(::sigaction(SIGCHLD, &ignore, &previous), 0);
  const auto output = run_bounded_command(command("/bin/sh", {"-c", "exit 1"}));
  ASSERT_EQ(::sigaction(SIGCHLD, &previous, nullptr), 0);
  ASSERT_FALSE(output.has_value());
  EXPECT_EQ(output.error().failure, CommandFailure::kSystem);
}

}  // namespace
}  // namespace rustynet::backend_wireguard
