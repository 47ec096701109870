// SPDX-License-Identifier: Apache-2.0
// `rustynet control revoke --token-id ID | --subject SUBJECT`: revoke control tokens.
#include <ostream>

#include "control_command.hpp"
#include "exit_codes.hpp"
#include "local_command.hpp"
#include "text_format.hpp"

namespace rustynet::apps::cli {
namespace {

constexpr const char* kRevokeUsage =
    "usage: rustynet control revoke --token-id ID [OPTIONS]\n"
    "       rustynet control revoke --subject SUBJECT [OPTIONS]\n"
    "\n"
    "--token-id revokes one token (its \"jti\"), kept until that token would have expired anyway.\n"
    "--subject revokes every token of a subject (a node id, or \"admin\") from now on; to retire a\n"
    "node for good, remove it (rustynet control node remove), which also stops its tokens.\n"
    "Exit codes: 0 done, 1 refused, 2 control unreachable, 64 usage, 77 the admin key was not accepted.\n"
    "\n";

}  // namespace

int run_control_revoke(const std::vector<std::string>& args, CliContext& ctx) {
  constexpr const char* kName = "control revoke";
  const std::string usage = std::string(kRevokeUsage) + kControlOptionsHelp;
  if (wants_help(args)) {
    ctx.out << usage;
    return kExitOk;
  }
  auto parsed = parse_control_args(args, {"--token-id", "--subject"}, kName, usage.c_str(), ctx);
  if (!parsed.has_value()) {
    return kExitUsage;
  }
  const auto token_id = parsed->values.find("--token-id");
  const auto subject = parsed->values.find("--subject");
  const std::size_t given = (token_id == parsed->values.end() ? 0 : token_id->second.size()) +
                            (subject == parsed->values.end() ? 0 : subject->second.size());
  if (given != 1 || !parsed->positionals.empty()) {
    ctx.err << "rustynet " << kName << ": give exactly one --token-id or --subject\n" << usage;
    return kExitUsage;
  }
  const bool by_token = token_id != parsed->values.end();
  const std::string& value = by_token ? token_id->second.front() : subject->second.front();
  auto client = connect_admin(*parsed, ctx);
  if (!client.has_value()) {
    return report_control_error(kName, client.error(), ctx);
  }
  auto response = (*client)->request("POST", "/v1/admin/revoke",
                                     nlohmann::json{{"version", 1}, {by_token ? "token_id" : "subject", value}});
  if (!response.has_value()) {
    return report_control_error(kName, response.error(), ctx);
  }
  if (parsed->json) {
    ctx.out << response->dump() << "\n";
  } else {
    ctx.out << "revoked " << (by_token ? "token id " : "subject ") << terminal_safe(value) << "\n";
  }
  return kExitOk;
}

}  // namespace rustynet::apps::cli
