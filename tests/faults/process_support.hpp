// SPDX-License-Identifier: Apache-2.0
// Process helpers for the signal fault tests: spawn with an explicit environment, bounded waits.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "notify_socket.hpp"
#include "rustynet/base/unix_socket.hpp"

namespace rustynet::testing {

// Every wait in these tests is bounded by this; a healthy run needs a small fraction of it.
inline constexpr std::chrono::seconds kProcessBound{60};

// A pipe whose ends are close-on-exec unless handed to a child with keep_in_child().
class Pipe {
 public:
  Pipe() {
    if (::pipe2(fds_.data(), O_CLOEXEC) != 0) {
      std::abort();
    }
  }
  ~Pipe() {
    close_read();
    close_write();
  }
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;
  Pipe(Pipe&&) = delete;
  Pipe& operator=(Pipe&&) = delete;

  [[nodiscard]] int read_fd() const { return fds_[0]; }
  [[nodiscard]] int write_fd() const { return fds_[1]; }
  void close_read() {
    if (fds_[0] >= 0) {
      ::close(fds_[0]);
      fds_[0] = -1;
    }
  }
  void close_write() {
    if (fds_[1] >= 0) {
      ::close(fds_[1]);
      fds_[1] = -1;
    }
  }
  // Waits up to `bound` for one byte; false on timeout or EOF.
  bool read_byte(std::chrono::milliseconds bound) const {
    pollfd entry{fds_[0], POLLIN, 0};
    if (::poll(&entry, 1, static_cast<int>(bound.count())) != 1) {
      return false;
    }
    char byte = 0;
    return ::read(fds_[0], &byte, 1) == 1;
  }
  bool write_byte() const {
    const char byte = 'R';
    return ::write(fds_[1], &byte, 1) == 1;
  }

 private:
  std::array<int, 2> fds_{-1, -1};
};

// A child process started with execve (explicit argv and environment; stdout and stderr go to
// `log_path`). The destructor SIGKILLs and reaps a child that is still running, so a failed
// assertion never leaves a daemon behind.
class ChildProcess {
 public:
  // `inherit` are fds the child keeps (their close-on-exec flag is cleared in the child only).
  ChildProcess(const std::string& binary, const std::vector<std::string>& args, const std::vector<std::string>& env,
               const std::string& log_path, const std::vector<int>& inherit = {}) {
    std::vector<std::string> argv_text{binary};
    argv_text.insert(argv_text.end(), args.begin(), args.end());
    std::vector<std::string> env_text = env;
    std::vector<char*> argv;
    std::vector<char*> envp;
    for (auto& a : argv_text) {
      argv.push_back(a.data());
    }
    argv.push_back(nullptr);
    for (auto& e : env_text) {
      envp.push_back(e.data());
    }
    envp.push_back(nullptr);
    const int log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (log_fd < 0) {
      std::abort();
    }
    pid_ = ::fork();
    if (pid_ == 0) {
      // Only async-signal-safe calls between fork and execve.
      for (const int fd : inherit) {
        (void)::fcntl(fd, F_SETFD, 0);
      }
      (void)::dup2(log_fd, STDOUT_FILENO);
      (void)::dup2(log_fd, STDERR_FILENO);
      ::execve(argv[0], argv.data(), envp.data());
      ::_exit(127);
    }
    ::close(log_fd);
    if (pid_ > 0) {
      pidfd_ = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
    }
  }
  ~ChildProcess() {
    if (running()) {
      (void)::kill(pid_, SIGKILL);
      (void)wait_exit(kProcessBound);
    }
    if (pidfd_ >= 0) {
      ::close(pidfd_);
    }
  }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ChildProcess(ChildProcess&&) = delete;
  ChildProcess& operator=(ChildProcess&&) = delete;

  [[nodiscard]] bool started() const { return pid_ > 0 && pidfd_ >= 0; }
  [[nodiscard]] bool running() const { return pid_ > 0 && !status_; }
  bool signal(int number) const { return running() && ::kill(pid_, number) == 0; }

  // The exit code, or nullopt if the child did not exit within `bound` or was killed by a signal
  // (raw wait status in raw_status()).
  std::optional<int> wait_exit(std::chrono::milliseconds bound) {
    if (!status_) {
      pollfd entry{pidfd_, POLLIN, 0};
      if (::poll(&entry, 1, static_cast<int>(bound.count())) != 1) {
        return std::nullopt;
      }
      int status = 0;
      if (::waitpid(pid_, &status, 0) != pid_) {
        return std::nullopt;
      }
      status_ = status;
    }
    if (!WIFEXITED(*status_)) {
      return std::nullopt;
    }
    return WEXITSTATUS(*status_);
  }
  [[nodiscard]] std::optional<int> raw_status() const { return status_; }

 private:
  pid_t pid_ = -1;
  int pidfd_ = -1;
  std::optional<int> status_;
};

// One local API request (newline-delimited JSON over the daemon's Unix socket); the raw reply
// line, or an empty string if the socket could not be used.
inline std::string local_api_call(const std::string& socket_path, const std::string& request) {
  auto fd = base::connect_unix_stream(socket_path);
  if (!fd.has_value()) {
    return {};
  }
  timeval tv{static_cast<time_t>(kProcessBound.count()), 0};
  (void)::setsockopt(fd->get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  const std::string line = request + "\n";
  std::size_t sent = 0;
  while (sent < line.size()) {
    const ssize_t n = ::send(fd->get(), line.data() + sent, line.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) {
      return {};
    }
    sent += static_cast<std::size_t>(n);
  }
  std::string reply;
  std::array<char, 65536> buffer{};
  while (true) {
    const ssize_t n = ::recv(fd->get(), buffer.data(), buffer.size(), 0);
    if (n <= 0) {
      break;
    }
    reply.append(buffer.data(), static_cast<std::size_t>(n));
  }
  return reply;
}

}  // namespace rustynet::testing
