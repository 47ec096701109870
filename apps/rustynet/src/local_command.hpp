// SPDX-License-Identifier: Apache-2.0
// The shared shape of every local-API command: options, one daemon call, validate, print.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli_context.hpp"
#include "rustynet/base/strict_json.hpp"

namespace rustynet::apps::cli {

struct LocalCommandSpec {
  const char* name;    // as typed, e.g. "policy check" (for messages)
  const char* usage;   // full --help text
  const char* method;  // local API method
  std::size_t positionals = 0;
  // Builds "params" from the positional arguments; an error string is a usage error (exit 64).
  std::function<base::Result<std::optional<nlohmann::json>, std::string>(const std::vector<std::string>&)> params;
  // Validates the whole result before printing anything, then prints a table (or, with json, the
  // result itself). Returns the exit code; a JsonError means the daemon's answer broke the contract.
  std::function<base::Result<int, base::JsonError>(const nlohmann::json& result, bool json, CliContext& ctx)> render;
};

// Parses [--socket PATH] [--json] [--help] and the positionals, calls the daemon and renders.
// Exit codes: see exit_codes.hpp.
[[nodiscard]] int run_local_command(const LocalCommandSpec& spec, const std::vector<std::string>& args,
                                    CliContext& ctx);

// True if args contain --help or -h (every command and subcommand answers it, exit 0).
[[nodiscard]] bool wants_help(const std::vector<std::string>& args);

}  // namespace rustynet::apps::cli
