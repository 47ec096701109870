// SPDX-License-Identifier: Apache-2.0
// rustynet: Rustynet operator CLI: talks to the local daemon and to rustynet-control.
#include "cli_main.hpp"

#include <array>
#include <ostream>
#include <string_view>

#include "commands.hpp"
#include "exit_codes.hpp"
#include "keys_command.hpp"
#include "log_stream.hpp"
#include "rustynet/base/log.hpp"
#include "text_format.hpp"

namespace rustynet::apps::cli {
namespace {

constexpr const char* kUsage =
    "usage: rustynet [--log-format text|json] [--log-level LEVEL] COMMAND [ARGS...] [--json] [--socket PATH]\n"
    "       rustynet --help | --version\n"
    "\n"
    "Rustynet operator CLI: talks to the local daemon (rustynetd) and to rustynet-control.\n"
    "\n"
    "Commands (each answers --help):\n"
    "  status                            daemon state, control connection, peer counts\n"
    "  peers                             peers, endpoints, traffic, last handshake\n"
    "  routes                            routes applied from the signed peer map\n"
    "  netmap                            the verified peer map: generation, signer, expiry\n"
    "  policy check SRC DST PROTO PORT   evaluate the running policy for one flow\n"
    "  reload                            re-read config and policy (root or admin group)\n"
    "  keys generate|show|rotate         this host's keys in encrypted custody\n"
    "  control node add|remove|list      administer rustynet-control's node registry (HTTPS)\n"
    "  control policy get|set FILE       read or replace the mesh policy\n"
    "  control revoke ...                revoke control tokens by token id or subject\n"
    "\n"
    "Diagnostics go to stderr: as text (default) or, with --log-format json, one JSON object per\n"
    "line (ts, level, program, event, msg); --log-level debug|info|warn|error drops lower levels\n"
    "(docs/observability.md). Command output on stdout is unchanged.\n"
    "\n"
    "Exit codes: 0 ok, 1 refused or failed, 2 daemon unreachable, 64 usage error, 77 permission denied.\n";

using CommandFn = int (*)(const std::vector<std::string>&, CliContext&);

int run_keys_command(const std::vector<std::string>& args, CliContext& ctx) { return run_keys(args, ctx.out, ctx.err); }

struct CommandEntry {
  std::string_view name;
  CommandFn run;
};

constexpr std::array<CommandEntry, 8> kCommands{{
    {"status", &run_status},
    {"peers", &run_peers},
    {"routes", &run_routes},
    {"netmap", &run_netmap},
    {"policy", &run_policy},
    {"reload", &run_reload},
    {"keys", &run_keys_command},
    {"control", &run_control},
}};

int run_command(const std::vector<std::string>& args, CliContext& ctx);

// Leading --log-format/--log-level: with json, stderr diagnostics become JSON log lines.
int run_with_log_options(const std::vector<std::string>& all, CliContext& ctx) {
  auto format = base::LogFormat::kText;
  auto level = base::LogLevel::kDebug;
  std::size_t i = 0;
  for (; i + 1 < all.size() && (all[i] == "--log-format" || all[i] == "--log-level"); i += 2) {
    if (all[i] == "--log-format") {
      const auto parsed = base::parse_log_format(all[i + 1]);
      if (!parsed) {
        ctx.err << "rustynet: --log-format must be text or json\n";
        return kExitUsage;
      }
      format = *parsed;
    } else {
      const auto parsed = base::parse_log_level(all[i + 1]);
      if (!parsed) {
        ctx.err << "rustynet: --log-level must be debug, info, warn or error\n";
        return kExitUsage;
      }
      level = *parsed;
    }
  }
  if (i < all.size() && (all[i] == "--log-format" || all[i] == "--log-level")) {
    ctx.err << "rustynet: " << all[i] << " needs a value\n" << kUsage;
    return kExitUsage;
  }
  const std::vector<std::string> args(all.begin() + static_cast<std::ptrdiff_t>(i), all.end());
  if (format == base::LogFormat::kText) {
    return run_command(args, ctx);
  }
  base::Logger logger("rustynet", ctx.err, level, base::LogFormat::kJson, ctx.clock);
  int code = 0;
  {
    JsonDiagnostics diagnostics(logger);
    std::ostream err(&diagnostics);
    CliContext json_ctx{.out = ctx.out,
                        .err = err,
                        .clock = ctx.clock,
                        .default_socket = ctx.default_socket,
                        .max_response_bytes = ctx.max_response_bytes,
                        .timeout = ctx.timeout,
                        .env = ctx.env,
                        .control_tuning = ctx.control_tuning,
                        .system_cli_config = ctx.system_cli_config};
    code = run_command(args, json_ctx);
  }
  return code;
}

int run_command(const std::vector<std::string>& args, CliContext& ctx) {
  if (args.empty()) {
    ctx.err << kUsage;
    return kExitUsage;
  }
  if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    ctx.out << kUsage;
    return kExitOk;
  }
  if (args[0] == "--version") {
    ctx.out << "rustynet " << RUSTYNET_VERSION << "\n";
    return kExitOk;
  }
  for (const auto& command : kCommands) {
    if (args[0] == command.name) {
      return command.run(std::vector<std::string>(args.begin() + 1, args.end()), ctx);
    }
  }
  // Echoed only after sanitising: a mistyped line could carry terminal escapes.
  ctx.err << "rustynet: unknown command '" << terminal_safe(args[0]) << "'\n" << kUsage;
  return kExitUsage;
}

}  // namespace

int run(const std::vector<std::string>& args, CliContext& ctx) { return run_with_log_options(args, ctx); }

int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  CliContext ctx{.out = out,
                 .err = err,
                 .clock = base::system_clock(),
                 .default_socket = kDefaultSocketPath,
                 .max_response_bytes = kMaxLocalResponseBytes,
                 .timeout = std::chrono::milliseconds{10'000},
                 .env = {},
                 .control_tuning = {},
                 .system_cli_config = kSystemCliConfigPath};
  return run(args, ctx);
}

}  // namespace rustynet::apps::cli
