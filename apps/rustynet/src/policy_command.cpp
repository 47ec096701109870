// SPDX-License-Identifier: Apache-2.0
// `rustynet policy check SRC DST PROTO PORT`: asks the daemon's running policy for a decision.
#include <charconv>
#include <ostream>

#include "commands.hpp"
#include "exit_codes.hpp"
#include "json_fields.hpp"
#include "local_command.hpp"
#include "text_format.hpp"

namespace rustynet::apps::cli {
namespace {

constexpr const char* kPolicyUsage =
    "usage: rustynet policy check SRC DST PROTO PORT [--json] [--socket PATH]\n"
    "\n"
    "Subcommands:\n"
    "  check   evaluate the daemon's running policy for one flow (see rustynet policy check --help)\n"
    "Changing the policy is an administrator action on the control server: rustynet control policy set.\n";

constexpr const char* kCheckUsage =
    "usage: rustynet policy check SRC DST PROTO PORT [--json] [--socket PATH]\n"
    "\n"
    "Evaluates the policy this node runs for a flow from SRC to DST (node ids or mesh addresses).\n"
    "PROTO is tcp, udp, icmp or any; PORT is 0..65535 (0 for icmp/any).\n"
    "Exit code 0 if the policy allows the flow, 1 if it denies it (default deny).\n"
    "  --json         print the daemon's result object as JSON (stable, for scripts)\n"
    "  --socket PATH  daemon socket (default /run/rustynet/rustynetd.sock)\n";

base::Result<std::optional<nlohmann::json>, std::string> check_params(const std::vector<std::string>& args) {
  const std::string& proto = args[2];
  if (proto != "tcp" && proto != "udp" && proto != "icmp" && proto != "any") {
    return base::unexpected(std::string("PROTO must be tcp, udp, icmp or any"));
  }
  const std::string& port_text = args[3];
  unsigned port = 0;
  const auto* end = port_text.data() + port_text.size();
  const auto parsed = std::from_chars(port_text.data(), end, port);
  if (port_text.empty() || parsed.ec != std::errc() || parsed.ptr != end || port > 65535U) {
    return base::unexpected(std::string("PORT must be a number from 0 to 65535"));
  }
  if (args[0].empty() || args[1].empty()) {
    return base::unexpected(std::string("SRC and DST must not be empty"));
  }
  return std::optional<nlohmann::json>(
      nlohmann::json{{"src", args[0]}, {"dst", args[1]}, {"proto", proto}, {"port", port}});
}

base::Result<int, base::JsonError> render_check(const nlohmann::json& result, bool json, CliContext& ctx) {
  RUSTYNET_ASSIGN_OR_RETURN(auto reader, base::JsonObjectReader::create(result, "$.result"));
  RUSTYNET_ASSIGN_OR_RETURN(const std::string decision, read_enum(reader, "decision", {"allow", "deny"}));
  RUSTYNET_ASSIGN_OR_RETURN(const auto rule, read_nullable_string(reader, "rule"));
  RUSTYNET_ASSIGN_OR_RETURN(const auto reason, read_nullable_string(reader, "reason"));
  RUSTYNET_RETURN_IF_ERROR(reader.finish());
  const int code = decision == "allow" ? kExitOk : kExitFailure;
  if (json) {
    ctx.out << result.dump() << "\n";
    return code;
  }
  KeyValueList list;
  list.add("decision", decision);
  list.add("rule", rule.value_or(decision == "deny" ? "(none: default deny)" : ""));
  list.add("reason", reason.value_or(""));
  list.print(ctx.out);
  return code;
}

}  // namespace

int run_policy(const std::vector<std::string>& args, CliContext& ctx) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    (args.empty() ? ctx.err : ctx.out) << kPolicyUsage;
    return args.empty() ? kExitUsage : kExitOk;
  }
  if (args[0] != "check") {
    ctx.err << "rustynet policy: unknown subcommand '" << terminal_safe(args[0]) << "'\n" << kPolicyUsage;
    return kExitUsage;
  }
  const LocalCommandSpec spec{.name = "policy check",
                              .usage = kCheckUsage,
                              .method = "policy_check",
                              .positionals = 4,
                              .params = check_params,
                              .render = render_check};
  return run_local_command(spec, std::vector<std::string>(args.begin() + 1, args.end()), ctx);
}

}  // namespace rustynet::apps::cli
