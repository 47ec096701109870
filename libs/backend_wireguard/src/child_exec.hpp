// SPDX-License-Identifier: Apache-2.0
// Pieces shared by every fork + execve in this library: argv/envp built before fork, descriptor
// hygiene in the child, wait-status text.
#pragma once

#include <string>
#include <vector>

namespace rustynet::backend_wireguard {

// argv and envp for execve, owned. Built before fork so the child allocates nothing. Neither
// copyable nor movable: argv()/envp() point into the strings it owns.
class ExecVectors {
 public:
  // `arguments` starts with the program path (argv[0]); `environment` is the child's whole
  // environment ("NAME=value" each).
  ExecVectors(std::vector<std::string> arguments, std::vector<std::string> environment);
  ExecVectors(const ExecVectors&) = delete;
  ExecVectors& operator=(const ExecVectors&) = delete;
  ExecVectors(ExecVectors&&) = delete;
  ExecVectors& operator=(ExecVectors&&) = delete;
  ~ExecVectors() = default;

  [[nodiscard]] char* const* argv() const noexcept { return argv_.data(); }
  [[nodiscard]] char* const* envp() const noexcept { return envp_.data(); }

 private:
  std::vector<std::string> arguments_;
  std::vector<std::string> environment_;
  std::vector<char*> argv_;
  std::vector<char*> envp_;
};

// The descriptor limit to sweep in mark_inherited_fds_cloexec's fallback. Call before fork.
[[nodiscard]] int inherited_fd_limit() noexcept;

// Marks every descriptor >= 3 close-on-exec, so nothing the parent holds leaks into the program.
// Async-signal-safe: for use between fork and execve.
void mark_inherited_fds_cloexec(int fd_limit) noexcept;

// Restores the default signal mask and SIGPIPE disposition, which execve would otherwise pass on
// from the parent. Async-signal-safe.
void reset_child_signals() noexcept;

// "exited with status N", "killed by signal N", "stopped".
[[nodiscard]] std::string describe_wait_status(int status);

}  // namespace rustynet::backend_wireguard
