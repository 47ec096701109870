// SPDX-License-Identifier: Apache-2.0
// `rustynet reload`: asks the daemon to re-read its config and policy (the same as SIGHUP).
#include <ostream>

#include "commands.hpp"
#include "exit_codes.hpp"
#include "local_command.hpp"

namespace rustynet::apps::cli {
namespace {

constexpr const char* kUsage =
    "usage: rustynet reload [--json] [--socket PATH]\n"
    "\n"
    "Asks rustynetd to re-read its configuration and policy, like `systemctl reload rustynetd`.\n"
    "An invalid new configuration, or a change that needs a restart (identity, keys, interface,\n"
    "backend, control), is refused and the running one stays. Needs root or the admin group\n"
    "(exit 77 otherwise).\n"
    "  --json         print the daemon's result object as JSON (stable, for scripts)\n"
    "  --socket PATH  daemon socket (default /run/rustynet/rustynetd.sock)\n";

base::Result<int, base::JsonError> render_reload(const nlohmann::json& result, bool json, CliContext& ctx) {
  RUSTYNET_ASSIGN_OR_RETURN(auto reader, base::JsonObjectReader::create(result, "$.result"));
  RUSTYNET_ASSIGN_OR_RETURN(const bool reloaded, reader.required_bool("reloaded"));
  RUSTYNET_RETURN_IF_ERROR(reader.finish());
  if (json) {
    ctx.out << result.dump() << "\n";
  } else {
    ctx.out << (reloaded ? "reloaded\n" : "not reloaded\n");
  }
  return reloaded ? kExitOk : kExitFailure;
}

}  // namespace

int run_reload(const std::vector<std::string>& args, CliContext& ctx) {
  const LocalCommandSpec spec{
      .name = "reload", .usage = kUsage, .method = "reload", .positionals = 0, .params = {}, .render = render_reload};
  return run_local_command(spec, args, ctx);
}

}  // namespace rustynet::apps::cli
