// SPDX-License-Identifier: Apache-2.0
// Option parsing, the daemon call and error reporting shared by the local-API commands.
#include "local_command.hpp"

#include <ostream>

#include "exit_codes.hpp"
#include "local_api_client.hpp"

namespace rustynet::apps::cli {

bool wants_help(const std::vector<std::string>& args) {
  for (const auto& arg : args) {
    if (arg == "--help" || arg == "-h") {
      return true;
    }
  }
  return false;
}

int run_local_command(const LocalCommandSpec& spec, const std::vector<std::string>& args, CliContext& ctx) {
  if (wants_help(args)) {
    ctx.out << spec.usage;
    return kExitOk;
  }
  std::string socket_path = ctx.default_socket;
  bool json = false;
  std::vector<std::string> positionals;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--json") {
      json = true;
    } else if (arg == "--socket") {
      if (i + 1 >= args.size() || args[i + 1].empty()) {
        ctx.err << "rustynet " << spec.name << ": --socket needs a path\n" << spec.usage;
        return kExitUsage;
      }
      socket_path = args[++i];
    } else if (arg.rfind("--socket=", 0) == 0 && arg.size() > 9) {
      socket_path = arg.substr(9);
    } else if (arg.size() > 1 && arg[0] == '-' && arg != "-") {
      ctx.err << "rustynet " << spec.name << ": unknown option '" << arg << "'\n" << spec.usage;
      return kExitUsage;
    } else {
      positionals.push_back(arg);
    }
  }
  if (positionals.size() != spec.positionals) {
    ctx.err << "rustynet " << spec.name << ": expected " << spec.positionals << " argument"
            << (spec.positionals == 1 ? "" : "s") << ", got " << positionals.size() << "\n"
            << spec.usage;
    return kExitUsage;
  }
  std::optional<nlohmann::json> params;
  if (spec.params) {
    auto built = spec.params(positionals);
    if (!built.has_value()) {
      ctx.err << "rustynet " << spec.name << ": " << built.error() << "\n" << spec.usage;
      return kExitUsage;
    }
    params = std::move(built).value();
  }
  const LocalApiOptions options{
      .socket_path = socket_path, .max_response_bytes = ctx.max_response_bytes, .timeout = ctx.timeout};
  auto result = call_local_api(options, spec.method, params);
  if (!result.has_value()) {
    ctx.err << "rustynet " << spec.name << ": " << result.error().message << "\n";
    return exit_code_for(result.error());
  }
  auto rendered = spec.render(*result, json, ctx);
  if (!rendered.has_value()) {
    ctx.err << "rustynet " << spec.name << ": malformed response from rustynetd: " << rendered.error().describe()
            << "\n";
    return kExitFailure;
  }
  return *rendered;
}

}  // namespace rustynet::apps::cli
