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

#include <algorithm>
#include <array>
#include <filesystem>
#include <string>
#include <vector>

#include "daemon_fixture.hpp"
#include "notify_socket.hpp"

namespace rustynet::apps::daemon {
namespace {

using rustynet::testing::NotifySocket;

pid_t spawn(const std::string& config, const std::string& notify_path) {
  const pid_t pid = ::fork();
  if (pid == 0) {
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

}  // namespace
}  // namespace rustynet::apps::daemon
