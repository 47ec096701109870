// SPDX-License-Identifier: Apache-2.0
// Userspace daemon process: fork + execve without a shell, readiness by control-socket probe.
#include "userspace_process.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <csignal>
#include <thread>

#include "child_exec.hpp"
#include "rustynet/base/sys_error.hpp"
#include "rustynet/base/unix_socket.hpp"

namespace rustynet::backend_wireguard {
namespace {

SpawnError spawn_error(SpawnFailure failure, std::string operation, int number, std::string detail) {
  return SpawnError{
      .failure = failure,
      .error = WgError{.operation = std::move(operation), .error_number = number, .detail = std::move(detail)}};
}

// Only async-signal-safe calls between fork and execve: the parent may be multithreaded.
[[noreturn]] void exec_child(char* const* argv, char* const* envp, int netns_fd, int null_fd, int report_fd,
                             bool terminate_with_owner, int fd_limit) {
  ::setpgid(0, 0);
  if (terminate_with_owner) {
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
  }
  // Report {stage, errno} (1 = entering the namespace, 2 = execve) through the CLOEXEC pipe.
  std::array<int, 2> report{0, 0};
  if (netns_fd >= 0 && ::setns(netns_fd, CLONE_NEWNET) != 0) {
    report = {1, errno};
  } else {
    ::dup2(null_fd, STDIN_FILENO);
    ::dup2(null_fd, STDOUT_FILENO);
    mark_inherited_fds_cloexec(fd_limit);
    ::execve(argv[0], argv, envp);
    report = {2, errno};
  }
  (void)!::write(report_fd, report.data(), sizeof(report));
  ::_exit(127);
}

}  // namespace

base::Result<UserspaceProcess, SpawnError> UserspaceProcess::spawn(const UserspaceProcessOptions& options) {
  if (::access(options.binary_path.c_str(), X_OK) != 0) {
    const int number = errno;
    return base::unexpected(spawn_error(SpawnFailure::kBinaryMissing, "access " + options.binary_path, number,
                                        "the userspace WireGuard implementation is not installed or not executable "
                                        "(install wireguard-go or set its path in the configuration)"));
  }
  base::UniqueFd netns_fd;
  if (options.netns_path.has_value()) {
    netns_fd.reset(::open(options.netns_path->c_str(), O_RDONLY | O_CLOEXEC));
    if (!netns_fd.valid()) {
      const int number = errno;
      return base::unexpected(spawn_error(SpawnFailure::kNamespace, "open " + *options.netns_path, number,
                                          "cannot open the network namespace"));
    }
  }
  base::UniqueFd null_fd(::open("/dev/null", O_RDWR | O_CLOEXEC));
  if (!null_fd.valid()) {
    const int number = errno;
    return base::unexpected(spawn_error(SpawnFailure::kSystem, "open /dev/null", number, ""));
  }
  std::array<int, 2> pipe_fds{-1, -1};
  if (::pipe2(pipe_fds.data(), O_CLOEXEC) != 0) {
    const int number = errno;
    return base::unexpected(spawn_error(SpawnFailure::kSystem, "pipe2", number, ""));
  }
  base::UniqueFd report_read(pipe_fds[0]);
  base::UniqueFd report_write(pipe_fds[1]);

  // Everything the child needs is built before fork.
  const ExecVectors exec_vectors({options.binary_path, "-f", options.interface_name},
                                 {"WG_PROCESS_FOREGROUND=1", "LOG_LEVEL=error"});
  const int fd_limit = inherited_fd_limit();
  const pid_t pid = ::fork();
  if (pid < 0) {
    const int number = errno;
    return base::unexpected(spawn_error(SpawnFailure::kSystem, "fork", number, ""));
  }
  if (pid == 0) {
    exec_child(exec_vectors.argv(), exec_vectors.envp(), netns_fd.get(), null_fd.get(), report_write.get(),
               options.terminate_with_owner, fd_limit);
  }
  ::setpgid(pid, pid);  // also done by the child; whichever runs first wins, both are harmless
  report_write.reset();
  // glibc 2.36 declares pidfd_open without C linkage for C++; use the system call directly.
  base::UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0U)));
  UserspaceProcess process(pid, std::move(pidfd));
  if (!process.pidfd_.valid()) {
    const int number = errno;
    process.stop();
    return base::unexpected(spawn_error(SpawnFailure::kSystem, "pidfd_open", number, ""));
  }

  // exec succeeded iff the CLOEXEC pipe closes without a report.
  std::array<int, 2> report{0, 0};
  ssize_t got = 0;
  do {
    got = ::read(report_read.get(), report.data(), sizeof(report));
  } while (got < 0 && errno == EINTR);
  if (got == static_cast<ssize_t>(sizeof(report))) {
    process.stop();
    const bool netns_stage = report[0] == 1;
    return base::unexpected(
        spawn_error(netns_stage ? SpawnFailure::kNamespace : SpawnFailure::kBinaryMissing,
                    netns_stage ? "setns " + options.netns_path.value_or("") : "execve " + options.binary_path,
                    report[1], "could not start the userspace WireGuard implementation"));
  }

  const auto deadline = std::chrono::steady_clock::now() + options.start_timeout;
  while (true) {
    auto probe = base::connect_unix_stream(options.socket_path);
    if (probe.has_value()) {
      return process;
    }
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      process.reaped_ = true;
      return base::unexpected(spawn_error(SpawnFailure::kExitedEarly,
                                          options.binary_path + " " + options.interface_name, 0,
                                          "the userspace daemon " + describe_wait_status(status) +
                                              " before opening its control socket (name in use, no /dev/net/tun, "
                                              "or missing CAP_NET_ADMIN?)"));
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      process.stop();
      return base::unexpected(spawn_error(SpawnFailure::kTimeout, "wait for " + options.socket_path, ETIMEDOUT,
                                          "the userspace daemon did not open its control socket in time"));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

UserspaceProcess::UserspaceProcess(UserspaceProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      pidfd_(std::move(other.pidfd_)),
      reaped_(std::exchange(other.reaped_, true)) {}

UserspaceProcess& UserspaceProcess::operator=(UserspaceProcess&& other) noexcept {
  if (this != &other) {
    stop();
    pid_ = std::exchange(other.pid_, -1);
    pidfd_ = std::move(other.pidfd_);
    reaped_ = std::exchange(other.reaped_, true);
  }
  return *this;
}

UserspaceProcess::~UserspaceProcess() { stop(); }

bool UserspaceProcess::alive() {
  if (reaped_ || pid_ <= 0) {
    return false;
  }
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == pid_) {
    reaped_ = true;
    return false;
  }
  return true;
}

void UserspaceProcess::stop(std::chrono::milliseconds grace) noexcept {
  if (reaped_ || pid_ <= 0) {
    return;
  }
  ::kill(-pid_, SIGTERM);
  ::kill(pid_, SIGTERM);  // in case setpgid had not happened yet
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (true) {
    int status = 0;
    const pid_t got = ::waitpid(pid_, &status, WNOHANG);
    if (got == pid_ || (got < 0 && errno == ECHILD)) {
      break;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(-pid_, SIGKILL);
      ::kill(pid_, SIGKILL);
      while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
      }
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  reaped_ = true;
  pidfd_.reset();
}

}  // namespace rustynet::backend_wireguard
