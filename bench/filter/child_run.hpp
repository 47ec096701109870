// SPDX-License-Identifier: Apache-2.0
// Runs one program (explicit argv, no shell) and reports its wall time and CPU times (wait4).
#pragma once

#include <string>
#include <vector>

#include "rustynet/base/result.hpp"

namespace rustynet::bench::filter {

struct ChildTimes {
  int exit_status = -1;  // exit code; -1 when a signal ended it
  double wall_ms = 0;    // spawn to reaped
  double user_ms = 0;    // CPU in user space (for nft: parser, evaluation, netlink encoding/decoding)
  double sys_ms = 0;     // CPU in the kernel on its behalf (for nft: the nf_tables transaction)
};

struct ChildIo {
  std::string stdin_path = "/dev/null";
  std::string stdout_path = "/dev/null";
  std::string stderr_path = "/dev/null";
};

// Runs argv[0] (an absolute path) in the caller's namespaces with the environment the packet
// filter gives nft (LC_ALL=C and a fixed PATH), stdio from/to the given files (stdout and stderr
// truncated). Blocks until it exits. Error: it could not be started or waited for.
[[nodiscard]] base::Result<ChildTimes, std::string> run_child(const std::vector<std::string>& argv,
                                                              const ChildIo& io = {});

// The first `limit` bytes of a file (for nft's diagnostics); empty if unreadable.
[[nodiscard]] std::string file_head(const std::string& path, std::size_t limit = 600);

}  // namespace rustynet::bench::filter
