// SPDX-License-Identifier: Apache-2.0
// `rustynet control ...`: shared option parsing and client setup for the admin subcommands.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "cli_config.hpp"
#include "cli_context.hpp"
#include "control_client.hpp"

namespace rustynet::apps::cli {

// Connection options every control subcommand accepts (help text fragment).
extern const char* const kControlOptionsHelp;

struct ControlArgs {
  std::optional<std::string> config_path;
  ControlSettings overrides;  // only the fields given on the command line are non-empty
  bool json = false;
  std::vector<std::string> positionals;
  std::map<std::string, std::vector<std::string>> values;  // subcommand-specific --flag VALUE (repeatable)
};

// Parses the common options plus `value_flags` (e.g. {"--address","--tag"}). On a usage error
// prints it with `usage` to ctx.err and returns nullopt.
[[nodiscard]] std::optional<ControlArgs> parse_control_args(const std::vector<std::string>& args,
                                                            const std::set<std::string>& value_flags, const char* name,
                                                            const char* usage, CliContext& ctx);

// Config file (if any) + command line -> an AdminClient (admin key unsealed). Errors carry the exit code.
[[nodiscard]] base::Result<std::unique_ptr<AdminClient>, ControlCliError> connect_admin(const ControlArgs& args,
                                                                                        CliContext& ctx);

// The common start of `rustynet control GROUP SUB ...` (node, policy): no arguments prints `usage`
// to ctx.err (exit 64), --help prints it to ctx.out (exit 0), a SUB not in `subcommands` is a usage
// error (64). Returns the exit code to stop with, or nullopt when args[0] is a known SUB.
[[nodiscard]] std::optional<int> check_control_subcommand(const std::vector<std::string>& args, const char* group,
                                                          const std::set<std::string>& subcommands,
                                                          const std::string& usage, CliContext& ctx);

// Prints "rustynet NAME: MESSAGE" to ctx.err and returns the error's exit code.
int report_control_error(const char* name, const ControlCliError& error, CliContext& ctx);

[[nodiscard]] int run_control_node(const std::vector<std::string>& args, CliContext& ctx);
[[nodiscard]] int run_control_policy(const std::vector<std::string>& args, CliContext& ctx);
[[nodiscard]] int run_control_revoke(const std::vector<std::string>& args, CliContext& ctx);

}  // namespace rustynet::apps::cli
