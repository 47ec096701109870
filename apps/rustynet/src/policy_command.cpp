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
    "usage: rustynet policy check SRC DST PROTO PORT [--explain] [--json] [--socket PATH]\n"
    "\n"
    "Subcommands:\n"
    "  check   evaluate the daemon's running policy for one flow (see rustynet policy check --help)\n"
    "Changing the policy is an administrator action on the control server: rustynet control policy set.\n";

constexpr const char* kCheckUsage =
    "usage: rustynet policy check SRC DST PROTO PORT [--explain] [--json] [--socket PATH]\n"
    "\n"
    "Evaluates the policy this node runs for a flow from SRC to DST (node ids or mesh addresses).\n"
    "PROTO is tcp, udp, icmp or any; PORT is 0..65535 (0 for icmp/any).\n"
    "Exit code 0 if the policy allows the flow, 1 if it denies it (default deny).\n"
    "  --explain      also ask this node's packet filter in the kernel whether it holds the decision\n"
    "                 (flows with this node at one end; exit 1 as well if the filter disagrees)\n"
    "  --json         print the daemon's result object as JSON (stable, for scripts)\n"
    "  --socket PATH  daemon socket (default /run/rustynet/rustynetd.sock)\n";

base::Result<std::optional<nlohmann::json>, std::string> check_params(const std::vector<std::string>& args,
                                                                      bool explain) {
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
  nlohmann::json params{{"src", args[0]}, {"dst", args[1]}, {"proto", proto}, {"port", port}};
  if (explain) {
    params["explain"] = true;
  }
  return std::optional<nlohmann::json>(std::move(params));
}

base::Result<int, base::JsonError> render_check(const nlohmann::json& result, bool json, CliContext& ctx) {
  RUSTYNET_ASSIGN_OR_RETURN(auto reader, base::JsonObjectReader::create(result, "$.result"));
  RUSTYNET_ASSIGN_OR_RETURN(const std::string decision, read_enum(reader, "decision", {"allow", "deny"}));
  RUSTYNET_ASSIGN_OR_RETURN(const auto rule, read_nullable_string(reader, "rule"));
  RUSTYNET_ASSIGN_OR_RETURN(const auto reason, read_nullable_string(reader, "reason"));
  std::optional<std::string> filter_line;
  bool filter_disagrees = false;
  if (const nlohmann::json* filter = reader.optional_value("filter"); filter != nullptr) {
    RUSTYNET_ASSIGN_OR_RETURN(auto filter_reader, base::JsonObjectReader::create(*filter, reader.child_path("filter")));
    RUSTYNET_ASSIGN_OR_RETURN(const bool enforced, filter_reader.required_bool("enforced_here"));
    std::optional<bool> holds;
    if (const nlohmann::json* value = filter_reader.optional_value("holds"); value != nullptr && !value->is_null()) {
      if (!value->is_boolean()) {
        return base::unexpected(base::JsonError{filter_reader.child_path("holds"), "must be a boolean or null"});
      }
      holds = value->get<bool>();
    }
    RUSTYNET_ASSIGN_OR_RETURN(const auto generation, read_count(filter_reader, "generation"));
    RUSTYNET_ASSIGN_OR_RETURN(const auto direction, read_nullable_string(filter_reader, "direction"));
    RUSTYNET_ASSIGN_OR_RETURN(const auto remote, read_nullable_string(filter_reader, "remote"));
    RUSTYNET_ASSIGN_OR_RETURN(const auto local, read_nullable_string(filter_reader, "local"));
    RUSTYNET_ASSIGN_OR_RETURN(const auto error, read_nullable_string(filter_reader, "error"));
    RUSTYNET_RETURN_IF_ERROR(filter_reader.finish());
    if (!enforced) {
      filter_line = "not enforced on this node (neither end is this node)";
    } else if (!holds.has_value()) {
      filter_line = "could not be read: " + error.value_or("unknown");
      filter_disagrees = true;
    } else {
      const bool filter_allows = *holds;
      filter_disagrees = filter_allows != (decision == "allow");
      filter_line = std::string(filter_allows ? "passes" : "drops") + " (" + direction.value_or("") + ", " +
                    remote.value_or("") + " <-> " + local.value_or("") + ", generation " + std::to_string(generation) +
                    ")" + (filter_disagrees ? ": DISAGREES with the policy" : "");
    }
  }
  RUSTYNET_RETURN_IF_ERROR(reader.finish());
  const int code = decision == "allow" && !filter_disagrees ? kExitOk : kExitFailure;
  if (json) {
    ctx.out << result.dump() << "\n";
    return code;
  }
  KeyValueList list;
  list.add("decision", decision);
  list.add("rule", rule.value_or(decision == "deny" ? "(none: default deny)" : ""));
  list.add("reason", reason.value_or(""));
  if (filter_line) {
    list.add("kernel filter", *filter_line);
  }
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
  std::vector<std::string> rest;
  bool explain = false;
  for (auto it = args.begin() + 1; it != args.end(); ++it) {
    if (*it == "--explain") {
      explain = true;
    } else {
      rest.push_back(*it);
    }
  }
  const LocalCommandSpec spec{
      .name = "policy check",
      .usage = kCheckUsage,
      .method = "policy_check",
      .positionals = 4,
      .params = [explain](const std::vector<std::string>& positionals) { return check_params(positionals, explain); },
      .render = render_check};
  return run_local_command(spec, rest, ctx);
}

}  // namespace rustynet::apps::cli
