// SPDX-License-Identifier: Apache-2.0
// Entry point of rustynetd, kept in the app library so it is testable without spawning a process.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace rustynet::apps::daemon {

// Runs rustynetd with argv[1..] as `args`; returns the process exit code.
[[nodiscard]] int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace rustynet::apps::daemon
