// SPDX-License-Identifier: Apache-2.0
// Runs one program to completion without a shell: input from memory, output captured with a bound,
// a deadline, a clean environment, optionally inside a network namespace.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "rustynet/base/result.hpp"

namespace rustynet::backend_wireguard {

struct BoundedCommand {
  std::string binary;                                   // absolute path, executed as is (no PATH search, no shell)
  std::vector<std::string> arguments;                   // argv[1..]
  std::vector<std::string> environment;                 // the program's whole environment ("NAME=value")
  std::string input;                                    // the program's stdin (empty: /dev/null)
  std::optional<std::string> netns_path;                // the child enters this network namespace before exec
  std::chrono::milliseconds timeout{5000};              // from fork to exit; on overrun the program is killed
  std::size_t max_output_bytes = std::size_t{1} << 20;  // per stream; more: the program is killed
};

struct CommandOutput {
  int exit_status = 0;  // the program exited normally with this status (0..255)
  std::string out;
  std::string err;
};

enum class CommandFailure : std::uint8_t {
  kBinaryMissing,   // execve failed (absent, not executable, wrong format)
  kNamespace,       // the namespace could not be opened or entered
  kTimeout,         // killed at the deadline
  kOutputTooLarge,  // killed for writing more than max_output_bytes to one stream
  kSignalled,       // died from a signal it was not sent by us
  kSystem,          // fork, pipe, memfd, poll, ...
};

struct CommandError {
  CommandFailure failure = CommandFailure::kSystem;
  std::string operation;  // e.g. "execve /usr/sbin/nft"
  int error_number = 0;   // errno where one applies
  std::string detail;

  [[nodiscard]] std::string describe() const;
};

// Forks, execs `command.binary`, feeds `input`, collects stdout and stderr, and reaps the program.
// The program runs in its own process group, which is SIGKILLed on a timeout, an output overrun or
// any error after fork, so nothing outlives the call. Descriptors of the caller are not inherited
// (everything >= 3 is marked close-on-exec in the child); signal mask and SIGPIPE are reset.
// Blocks the calling thread (never longer than `timeout` plus reaping); thread-safe.
// A non-zero exit status is a value, not an error.
[[nodiscard]] base::Result<CommandOutput, CommandError> run_bounded_command(const BoundedCommand& command);

}  // namespace rustynet::backend_wireguard
