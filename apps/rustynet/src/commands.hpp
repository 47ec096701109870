// SPDX-License-Identifier: Apache-2.0
// The rustynet commands, one file each (*_command.cpp); cli_main.cpp only dispatches to them.
#pragma once

#include <string>
#include <vector>

#include "cli_context.hpp"

namespace rustynet::apps::cli {

// Each takes the arguments after its own name and returns the process exit code (exit_codes.hpp).
[[nodiscard]] int run_status(const std::vector<std::string>& args, CliContext& ctx);
[[nodiscard]] int run_peers(const std::vector<std::string>& args, CliContext& ctx);
[[nodiscard]] int run_routes(const std::vector<std::string>& args, CliContext& ctx);
[[nodiscard]] int run_netmap(const std::vector<std::string>& args, CliContext& ctx);
[[nodiscard]] int run_policy(const std::vector<std::string>& args, CliContext& ctx);
[[nodiscard]] int run_reload(const std::vector<std::string>& args, CliContext& ctx);
[[nodiscard]] int run_control(const std::vector<std::string>& args, CliContext& ctx);

}  // namespace rustynet::apps::cli
