// SPDX-License-Identifier: Apache-2.0
// `rustynet control policy get|set FILE`: the control server's policy document.
#include <ostream>

#include "control_command.hpp"
#include "exit_codes.hpp"
#include "local_command.hpp"
#include "rustynet/base/file_io.hpp"
#include "rustynet/base/strict_json.hpp"
#include "text_format.hpp"

namespace rustynet::apps::cli {
namespace {

// docs/control-protocol.md: PUT /v1/admin/policy bodies are at most 256 KiB.
constexpr std::size_t kMaxPolicyRequestBytes = std::size_t{256} << 10U;

constexpr const char* kPolicyUsage =
    "usage: rustynet control policy get [OPTIONS]\n"
    "       rustynet control policy set FILE [OPTIONS]\n"
    "\n"
    "get prints the policy document in force (pretty JSON, ready to edit and `set` again); with\n"
    "--json the whole response including its generation. set uploads FILE (a policy document,\n"
    "docs/policy.md); the server validates it and answers with the JSON path of the first problem,\n"
    "keeping the old policy in force. Connected daemons receive the new peer maps within seconds.\n"
    "Exit codes: 0 done, 1 refused (invalid document), 2 control unreachable, 64 usage,\n"
    "77 the admin key was not accepted.\n"
    "\n";

int run_get(const ControlArgs& args, AdminClient& client, CliContext& ctx) {
  auto response = client.request("GET", "/v1/admin/policy", std::nullopt);
  if (!response.has_value()) {
    return report_control_error("control policy get", response.error(), ctx);
  }
  const auto document = response->find("document");
  const auto generation = response->find("generation");
  if (document == response->end() || !document->is_object() || generation == response->end() ||
      !generation->is_number_integer()) {
    ctx.err << "rustynet control policy get: malformed response from rustynet-control: $.document and "
               "$.generation are required\n";
    return kExitFailure;
  }
  if (args.json) {
    ctx.out << response->dump() << "\n";
  } else {
    ctx.out << document->dump(2) << "\n";
    ctx.err << "policy generation " << generation->dump() << "\n";
  }
  return kExitOk;
}

int run_set(const ControlArgs& args, AdminClient& client, CliContext& ctx) {
  constexpr const char* kName = "control policy set";
  const std::string& file = args.positionals.at(0);
  auto text = base::read_file_bounded(file, kMaxPolicyRequestBytes);
  if (!text.has_value()) {
    ctx.err << "rustynet " << kName << ": " << text.error().describe() << "\n";
    return kExitFailure;
  }
  // Only JSON well-formedness is checked here; the server is the authority on policy semantics.
  auto document =
      base::parse_strict_json(*text, base::JsonLimits{.max_bytes = kMaxPolicyRequestBytes, .max_depth = 64});
  if (!document.has_value()) {
    ctx.err << "rustynet " << kName << ": " << file << ": " << document.error().describe() << "\n";
    return kExitFailure;
  }
  auto response = client.request("PUT", "/v1/admin/policy",
                                 nlohmann::json{{"version", 1}, {"document", std::move(document).value()}});
  if (!response.has_value()) {
    return report_control_error(kName, response.error(), ctx);
  }
  const auto generation = response->find("generation");
  if (generation == response->end() || !generation->is_number_integer()) {
    ctx.err << "rustynet " << kName << ": malformed response from rustynet-control: $.generation is required\n";
    return kExitFailure;
  }
  if (args.json) {
    ctx.out << response->dump() << "\n";
  } else {
    ctx.out << "policy accepted: generation " << generation->dump()
            << " (connected daemons receive new peer maps within seconds)\n";
  }
  return kExitOk;
}

}  // namespace

int run_control_policy(const std::vector<std::string>& args, CliContext& ctx) {
  const std::string usage = std::string(kPolicyUsage) + kControlOptionsHelp;
  if (auto stop = check_control_subcommand(args, "policy", {"get", "set"}, usage, ctx)) {
    return *stop;
  }
  const std::string& sub = args[0];
  const std::string name = "control policy " + sub;
  auto parsed =
      parse_control_args(std::vector<std::string>(args.begin() + 1, args.end()), {}, name.c_str(), usage.c_str(), ctx);
  if (!parsed.has_value()) {
    return kExitUsage;
  }
  const std::size_t want = sub == "set" ? 1 : 0;
  if (parsed->positionals.size() != want) {
    ctx.err << "rustynet " << name << ": " << (want == 1 ? "needs exactly one FILE" : "takes no arguments") << "\n"
            << usage;
    return kExitUsage;
  }
  auto client = connect_admin(*parsed, ctx);
  if (!client.has_value()) {
    return report_control_error(name.c_str(), client.error(), ctx);
  }
  return sub == "get" ? run_get(*parsed, **client, ctx) : run_set(*parsed, **client, ctx);
}

}  // namespace rustynet::apps::cli
