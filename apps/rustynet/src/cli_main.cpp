// SPDX-License-Identifier: Apache-2.0
// rustynet: Rustynet operator CLI: talks to the local daemon and to rustynet-control.
#include "cli_main.hpp"

#include <array>
#include <ostream>
#include <string_view>

#include "commands.hpp"
#include "exit_codes.hpp"
#include "keys_command.hpp"
#include "text_format.hpp"

namespace rustynet::apps::cli {
namespace {

constexpr const char* kUsage =
    "usage: rustynet COMMAND [ARGS...] [--json] [--socket PATH]\n"
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

}  // namespace

int run(const std::vector<std::string>& args, CliContext& ctx) {
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
