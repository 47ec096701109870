// SPDX-License-Identifier: Apache-2.0
// Shared fork + execve helpers (argv/envp, close-on-exec sweep, signal reset).
#include "child_exec.hpp"

#include <fcntl.h>
#include <linux/close_range.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>

namespace rustynet::backend_wireguard {

ExecVectors::ExecVectors(std::vector<std::string> arguments, std::vector<std::string> environment)
    : arguments_(std::move(arguments)), environment_(std::move(environment)) {
  argv_.reserve(arguments_.size() + 1);
  envp_.reserve(environment_.size() + 1);
  for (std::string& argument : arguments_) {
    argv_.push_back(argument.data());
  }
  argv_.push_back(nullptr);
  for (std::string& variable : environment_) {
    envp_.push_back(variable.data());
  }
  envp_.push_back(nullptr);
}

int inherited_fd_limit() noexcept {
  rlimit open_files{};
  return ::getrlimit(RLIMIT_NOFILE, &open_files) == 0 && open_files.rlim_cur < 65536U
             ? static_cast<int>(open_files.rlim_cur)
             : 65536;
}

// Not every library opens its descriptors O_CLOEXEC (Asio does not), and the daemon holds its
// control TLS connection, the local API socket and key files. close_range(CLOSE_RANGE_CLOEXEC)
// marks them all in one system call; kernels older than 5.11 lack the flag, so fall back to
// marking each descriptor up to the limit read before fork.
void mark_inherited_fds_cloexec(int fd_limit) noexcept {
  if (::close_range(3U, ~0U, CLOSE_RANGE_CLOEXEC) == 0) {
    return;
  }
  for (int fd = 3; fd < fd_limit; ++fd) {
    const int flags = ::fcntl(fd, F_GETFD);
    if (flags >= 0) {
      (void)::fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
    }
  }
}

// A blocked signal mask and ignored dispositions survive execve: a daemon that blocks SIGTERM for
// a signalfd, or ignores SIGPIPE, would hand that to a program that does not expect it.
void reset_child_signals() noexcept {
  sigset_t none;
  sigemptyset(&none);
  (void)::pthread_sigmask(SIG_SETMASK, &none, nullptr);
  struct sigaction default_action {};
  default_action.sa_handler = SIG_DFL;
  sigemptyset(&default_action.sa_mask);
  (void)::sigaction(SIGPIPE, &default_action, nullptr);
}

std::string describe_wait_status(int status) {
  if (WIFEXITED(status)) {
    return "exited with status " + std::to_string(WEXITSTATUS(status));
  }
  if (WIFSIGNALED(status)) {
    return "killed by signal " + std::to_string(WTERMSIG(status));
  }
  return "stopped";
}

}  // namespace rustynet::backend_wireguard
