// SPDX-License-Identifier: Apache-2.0
// run_bounded_command: fork + execve with memfd stdin, poll()ed output pipes and a pidfd deadline.
#include "bounded_command.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <csignal>
#include <span>

#include "child_exec.hpp"
#include "rustynet/base/sys_error.hpp"
#include "rustynet/base/unique_fd.hpp"

namespace rustynet::backend_wireguard {
namespace {

using Clock = std::chrono::steady_clock;

base::Unexpected<CommandError> command_error(CommandFailure failure, std::string operation, int number,
                                             std::string detail = {}) {
  return base::unexpected(CommandError{
      .failure = failure, .operation = std::move(operation), .error_number = number, .detail = std::move(detail)});
}

struct Pipe {
  base::UniqueFd read;
  base::UniqueFd write;
};

base::Result<Pipe, CommandError> make_pipe() {
  std::array<int, 2> fds{-1, -1};
  if (::pipe2(fds.data(), O_CLOEXEC) != 0) {
    return command_error(CommandFailure::kSystem, "pipe2", errno);
  }
  return Pipe{base::UniqueFd(fds[0]), base::UniqueFd(fds[1])};
}

// The input goes into an anonymous memory file rather than a pipe: the whole ruleset is in place
// before the program starts, so there is no writer to deadlock against a program that does not
// read, no SIGPIPE if it exits early, and the program may reopen it (nft opens /dev/stdin).
base::Result<base::UniqueFd, CommandError> input_file(const std::string& input) {
  if (input.empty()) {
    base::UniqueFd null_fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    if (!null_fd.valid()) {
      return command_error(CommandFailure::kSystem, "open /dev/null", errno);
    }
    return null_fd;
  }
  base::UniqueFd fd(::memfd_create("rustynet-command-input", MFD_CLOEXEC));
  if (!fd.valid()) {
    return command_error(CommandFailure::kSystem, "memfd_create", errno);
  }
  std::span<const char> rest(input);
  while (!rest.empty()) {
    const ssize_t wrote = ::write(fd.get(), rest.data(), rest.size());
    if (wrote < 0 && errno == EINTR) {
      continue;
    }
    if (wrote <= 0) {
      return command_error(CommandFailure::kSystem, "write command input", errno);
    }
    rest = rest.subspan(static_cast<std::size_t>(wrote));
  }
  if (::lseek(fd.get(), 0, SEEK_SET) != 0) {
    return command_error(CommandFailure::kSystem, "lseek command input", errno);
  }
  return fd;
}

struct ChildFds {
  int netns = -1;
  int input = -1;
  int out = -1;
  int err = -1;
  int report = -1;
  int fd_limit = 0;
};

// Only async-signal-safe calls between fork and execve: the caller may be multithreaded.
[[noreturn]] void exec_child(const ExecVectors& exec_vectors, const ChildFds& fds) {
  ::setpgid(0, 0);
  reset_child_signals();
  // Report {stage, errno} (1 = entering the namespace, 2 = execve) through the CLOEXEC pipe.
  std::array<int, 2> report{0, 0};
  if (fds.netns >= 0 && ::setns(fds.netns, CLONE_NEWNET) != 0) {
    report = {1, errno};
  } else {
    // Copies above 2 first: a daemon started with stdio closed may have been given 0..2 for these
    // very descriptors, and dup2 onto itself would neither move it nor clear close-on-exec.
    const int input = ::fcntl(fds.input, F_DUPFD_CLOEXEC, 3);
    const int out = ::fcntl(fds.out, F_DUPFD_CLOEXEC, 3);
    const int err = ::fcntl(fds.err, F_DUPFD_CLOEXEC, 3);
    if (input < 0 || out < 0 || err < 0 || ::dup2(input, STDIN_FILENO) < 0 || ::dup2(out, STDOUT_FILENO) < 0 ||
        ::dup2(err, STDERR_FILENO) < 0) {
      report = {3, errno};
    } else {
      mark_inherited_fds_cloexec(fds.fd_limit);
      ::execve(exec_vectors.argv()[0], exec_vectors.argv(), exec_vectors.envp());
      report = {2, errno};
    }
  }
  (void)!::write(fds.report, report.data(), sizeof(report));
  ::_exit(127);
}

// Owns the running child: kills its process group and reaps it unless reaped already.
class Child {
 public:
  explicit Child(pid_t pid) noexcept : pid_(pid) {}
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  Child(Child&&) = delete;
  Child& operator=(Child&&) = delete;
  ~Child() { kill_and_reap(); }

  [[nodiscard]] pid_t pid() const noexcept { return pid_; }
  [[nodiscard]] bool reaped() const noexcept { return reaped_; }
  [[nodiscard]] int status() const noexcept { return status_; }
  // The exit status went elsewhere: SIGCHLD is ignored (children are reaped by the kernel) or
  // another thread reaped it. Nothing can then be said about how the program ended.
  [[nodiscard]] bool status_lost() const noexcept { return status_lost_; }

  // Reaps without blocking; true once the child has been reaped.
  bool try_reap() noexcept {
    if (!reaped_) {
      int status = 0;
      const pid_t got = ::waitpid(pid_, &status, WNOHANG);
      if (got == pid_) {
        reaped_ = true;
        status_ = status;
      } else if (got < 0 && errno == ECHILD) {
        reaped_ = true;
        status_lost_ = true;
      }
    }
    return reaped_;
  }

  // Kills what is left of the process group once the child itself has been reaped (a descendant
  // still holding the output pipes). The group id cannot be reused while a member exists.
  void kill_group() const noexcept { ::kill(-pid_, SIGKILL); }

  void kill_and_reap() noexcept {
    if (reaped_) {
      return;
    }
    ::kill(-pid_, SIGKILL);
    ::kill(pid_, SIGKILL);  // in case its setpgid has not run yet
    int status = 0;
    pid_t got = -1;
    do {
      got = ::waitpid(pid_, &status, 0);
    } while (got < 0 && errno == EINTR);
    reaped_ = true;
    status_ = status;
    status_lost_ = got != pid_;
  }

 private:
  pid_t pid_;
  bool reaped_ = false;
  bool status_lost_ = false;
  int status_ = 0;
};

// Drains one readable stream into `sink`. False at end of stream.
enum class DrainResult : std::uint8_t { kMore, kEnd, kTooLarge, kError };

DrainResult drain(int fd, std::string& sink, std::size_t limit) {
  std::array<char, 65536> buffer{};
  const ssize_t got = ::read(fd, buffer.data(), buffer.size());
  if (got < 0) {
    return errno == EINTR || errno == EAGAIN ? DrainResult::kMore : DrainResult::kError;
  }
  if (got == 0) {
    return DrainResult::kEnd;
  }
  const auto count = static_cast<std::size_t>(got);
  if (sink.size() + count > limit) {
    return DrainResult::kTooLarge;
  }
  sink.append(buffer.data(), count);
  return DrainResult::kMore;
}

}  // namespace

std::string CommandError::describe() const {
  std::string text = error_number != 0 ? base::SysError{operation, error_number}.describe() : operation;
  if (!detail.empty()) {
    text += ": " + detail;
  }
  return text;
}

base::Result<CommandOutput, CommandError> run_bounded_command(const BoundedCommand& command) {
  const auto deadline = Clock::now() + command.timeout;
  base::UniqueFd netns_fd;
  if (command.netns_path.has_value()) {
    netns_fd.reset(::open(command.netns_path->c_str(), O_RDONLY | O_CLOEXEC));
    if (!netns_fd.valid()) {
      return command_error(CommandFailure::kNamespace, "open " + *command.netns_path, errno);
    }
  }
  RUSTYNET_ASSIGN_OR_RETURN(base::UniqueFd input_fd, input_file(command.input));
  RUSTYNET_ASSIGN_OR_RETURN(Pipe out_pipe, make_pipe());
  RUSTYNET_ASSIGN_OR_RETURN(Pipe err_pipe, make_pipe());
  RUSTYNET_ASSIGN_OR_RETURN(Pipe report_pipe, make_pipe());

  // Everything the child needs is built before fork.
  std::vector<std::string> arguments{command.binary};
  arguments.insert(arguments.end(), command.arguments.begin(), command.arguments.end());
  const ExecVectors exec_vectors(std::move(arguments), command.environment);
  const ChildFds child_fds{.netns = netns_fd.get(),
                           .input = input_fd.get(),
                           .out = out_pipe.write.get(),
                           .err = err_pipe.write.get(),
                           .report = report_pipe.write.get(),
                           .fd_limit = inherited_fd_limit()};
  const pid_t pid = ::fork();
  if (pid < 0) {
    return command_error(CommandFailure::kSystem, "fork", errno);
  }
  if (pid == 0) {
    exec_child(exec_vectors, child_fds);
  }
  Child child(pid);
  ::setpgid(pid, pid);  // also done by the child; whichever runs first wins, both are harmless
  out_pipe.write.reset();
  err_pipe.write.reset();
  report_pipe.write.reset();
  input_fd.reset();

  // exec succeeded iff the CLOEXEC pipe closes without a report.
  std::array<int, 2> report{0, 0};
  ssize_t got = 0;
  do {
    got = ::read(report_pipe.read.get(), report.data(), sizeof(report));
  } while (got < 0 && errno == EINTR);
  if (got == static_cast<ssize_t>(sizeof(report))) {
    child.kill_and_reap();
    switch (report[0]) {
      case 1: return command_error(CommandFailure::kNamespace, "setns " + command.netns_path.value_or(""), report[1]);
      case 2: return command_error(CommandFailure::kBinaryMissing, "execve " + command.binary, report[1]);
      default: return command_error(CommandFailure::kSystem, "dup2 (child stdio)", report[1]);
    }
  }

  // glibc 2.36 declares pidfd_open without C linkage for C++; use the system call directly.
  base::UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0U)));
  if (!pidfd.valid()) {
    return command_error(CommandFailure::kSystem, "pidfd_open", errno);
  }

  CommandOutput output;
  std::array<pollfd, 3> polled{pollfd{.fd = out_pipe.read.get(), .events = POLLIN, .revents = 0},
                               pollfd{.fd = err_pipe.read.get(), .events = POLLIN, .revents = 0},
                               pollfd{.fd = pidfd.get(), .events = POLLIN, .revents = 0}};
  std::array<std::string*, 2> sinks{&output.out, &output.err};
  while (polled[0].fd >= 0 || polled[1].fd >= 0 || !child.reaped()) {
    const auto remaining = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
    if (remaining.count() <= 0) {
      if (child.reaped()) {
        child.kill_group();
      }
      child.kill_and_reap();
      return command_error(CommandFailure::kTimeout, command.binary, 0,
                           "did not finish within " + std::to_string(command.timeout.count()) + " ms (killed)");
    }
    const int ready =
        ::poll(polled.data(), polled.size(), static_cast<int>(std::min<std::int64_t>(remaining.count(), 60000)));
    if (ready < 0) {
      if (errno == EINTR) {
        continue;
      }
      return command_error(CommandFailure::kSystem, "poll", errno);
    }
    for (std::size_t i = 0; i < sinks.size(); ++i) {
      if (polled[i].fd < 0 || polled[i].revents == 0) {
        continue;
      }
      switch (drain(polled[i].fd, *sinks[i], command.max_output_bytes)) {
        case DrainResult::kMore: break;
        case DrainResult::kEnd: polled[i].fd = -1; break;
        case DrainResult::kTooLarge:
          return command_error(CommandFailure::kOutputTooLarge, command.binary, 0,
                               "wrote more than " + std::to_string(command.max_output_bytes) + " bytes (killed)");
        case DrainResult::kError: return command_error(CommandFailure::kSystem, "read command output", errno);
      }
    }
    if (polled[2].fd >= 0 && polled[2].revents != 0 && child.try_reap()) {
      polled[2].fd = -1;
    }
  }
  if (child.status_lost()) {
    return command_error(CommandFailure::kSystem, "waitpid " + command.binary, ECHILD,
                         "the exit status was lost (SIGCHLD ignored, or reaped elsewhere)");
  }
  if (WIFSIGNALED(child.status())) {
    return command_error(CommandFailure::kSignalled, command.binary, 0, describe_wait_status(child.status()));
  }
  output.exit_status = WEXITSTATUS(child.status());
  return output;
}

}  // namespace rustynet::backend_wireguard
