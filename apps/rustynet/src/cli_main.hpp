// SPDX-License-Identifier: Apache-2.0
// Entry point of rustynet, kept in the app library so it is testable without spawning a process.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "cli_context.hpp"

namespace rustynet::apps::cli {

// Runs rustynet with argv[1..] as `args`; returns the process exit code (exit_codes.hpp).
[[nodiscard]] int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

// The same with an injected context (clock, default socket, limits, environment).
[[nodiscard]] int run(const std::vector<std::string>& args, CliContext& ctx);

}  // namespace rustynet::apps::cli
