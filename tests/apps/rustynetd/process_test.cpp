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

namespace rustynet::apps::daemon {
namespace {

// A datagram socket standing in for systemd's notify socket.
class NotifySocket {
 public:
  explicit NotifySocket(const std::string& path) : path_(path), fd_(::socket(AF_UNIX, SOCK_DGRAM, 0)) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::copy(path.begin(), path.end(), std::begin(address.sun_path));
    const void* raw = &address;
    if (::bind(fd_, static_cast<const sockaddr*>(raw), sizeof(address)) != 0) {
      std::abort();
    }
    timeval tv{20, 0};  // upper bound only; messages normally arrive in milliseconds
    (void)::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  }
  ~NotifySocket() { ::close(fd_); }
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;
  NotifySocket(NotifySocket&&) = delete;
  NotifySocket& operator=(NotifySocket&&) = delete;

  // Blocks until a datagram containing `needle` arrives; false on timeout.
  bool wait_for(const std::string& needle) {
    std::array<char, 4096> buffer{};
    while (true) {
      const ssize_t n = ::recv(fd_, buffer.data(), buffer.size(), 0);
      if (n <= 0) {
        return false;
      }
      const std::string message(buffer.data(), static_cast<std::size_t>(n));
      seen_.push_back(message);
      if (message.find(needle) != std::string::npos) {
        return true;
      }
    }
  }
  [[nodiscard]] const std::vector<std::string>& seen() const { return seen_; }

 private:
  std::string path_;
  int fd_;
  std::vector<std::string> seen_;
};

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
