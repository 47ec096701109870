// SPDX-License-Identifier: Apache-2.0
// `rustynet control`: dispatch to node/policy/revoke, common connection options, config merge.
#include "control_command.hpp"

#include <charconv>
#include <ostream>

#include "commands.hpp"
#include "exit_codes.hpp"
#include "local_command.hpp"
#include "text_format.hpp"

namespace rustynet::apps::cli {
namespace {

constexpr const char* kControlUsage =
    "usage: rustynet control node add|remove|list ...\n"
    "       rustynet control policy get|set FILE ...\n"
    "       rustynet control revoke --token-id ID | --subject SUBJECT ...\n"
    "\n"
    "Administrator commands against rustynet-control over HTTPS (TLS 1.3), authenticated by a\n"
    "short-lived admin token signed with the operator's admin key. Each subcommand answers --help.\n";

const std::set<std::string> kCommonValueFlags = {"--config",      "--control",  "--pin",           "--ca",
                                                 "--server-name", "--audience", "--admin-key-dir", "--secret-file",
                                                 "--secret-fd"};

bool looks_like_secret_flag(const std::string& arg) {
  for (const char* flag : {"--secret", "--password", "--passphrase", "--key", "--private-key", "--token"}) {
    const std::string name(flag);
    if (arg == name || arg.rfind(name + "=", 0) == 0) {
      return true;
    }
  }
  return false;
}

std::optional<int> parse_fd(const std::string& text) {
  int value = 0;
  const auto* end = text.data() + text.size();
  const auto parsed = std::from_chars(text.data(), end, value);
  if (text.empty() || parsed.ec != std::errc() || parsed.ptr != end || value < 0) {
    return std::nullopt;
  }
  return value;
}

}  // namespace

const char* const kControlOptionsHelp =
    "Connection (command line, else the CLI config file; see docs/cli.md):\n"
    "  --control HOST:PORT   the rustynet-control address\n"
    "  --pin SHA256          the control certificate's SHA-256 (printed by rustynet-control init)\n"
    "  --ca FILE             or: a CA bundle that signed the control certificate\n"
    "  --server-name NAME    TLS name to verify with --ca (default: HOST)\n"
    "  --audience NAME       token audience (default rustynet-control)\n"
    "  --admin-key-dir DIR   encrypted key directory holding the admin key\n"
    "  --secret-fd N | --secret-file PATH   the operator secret sealing that directory\n"
    "  --config FILE         CLI config (default: ~/.config/rustynet/cli.json, /etc/rustynet/cli.json)\n"
    "  --json                print the server's JSON response (stable, for scripts)\n";

std::optional<ControlArgs> parse_control_args(const std::vector<std::string>& args,
                                              const std::set<std::string>& value_flags, const char* name,
                                              const char* usage, CliContext& ctx) {
  ControlArgs parsed;
  parsed.overrides.audience.clear();  // empty = not given (the config's or the default applies)
  const auto fail = [&](const std::string& message) -> std::optional<ControlArgs> {
    ctx.err << "rustynet " << name << ": " << message << "\n" << usage;
    return std::nullopt;
  };
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string arg = args[i];
    if (looks_like_secret_flag(arg)) {
      // Never echoed: the value may be the secret itself.
      return fail("secrets are never read from the command line; use --secret-fd or --secret-file");
    }
    if (arg == "--json") {
      parsed.json = true;
      continue;
    }
    if (arg.empty() || arg[0] != '-' || arg == "-") {
      parsed.positionals.push_back(arg);
      continue;
    }
    std::string value;
    if (const auto equals = arg.find('='); equals != std::string::npos) {
      value = arg.substr(equals + 1);
      arg.resize(equals);
    } else if (kCommonValueFlags.count(arg) != 0 || value_flags.count(arg) != 0) {
      if (i + 1 >= args.size()) {
        return fail(arg + " needs a value");
      }
      value = args[++i];
    }
    if (kCommonValueFlags.count(arg) == 0 && value_flags.count(arg) == 0) {
      return fail("unknown option '" + terminal_safe(arg) + "'");
    }
    if (value.empty()) {
      return fail(arg + " needs a value");
    }
    if (arg == "--config") {
      parsed.config_path = value;
    } else if (arg == "--control") {
      parsed.overrides.control = value;
    } else if (arg == "--pin") {
      parsed.overrides.pin_sha256 = value;
    } else if (arg == "--ca") {
      parsed.overrides.ca_file = value;
    } else if (arg == "--server-name") {
      parsed.overrides.server_name = value;
    } else if (arg == "--audience") {
      parsed.overrides.audience = value;
    } else if (arg == "--admin-key-dir") {
      parsed.overrides.admin_key_dir = value;
    } else if (arg == "--secret-file") {
      parsed.overrides.secret_file = value;
    } else if (arg == "--secret-fd") {
      parsed.overrides.secret_fd = parse_fd(value);
      if (!parsed.overrides.secret_fd.has_value()) {
        return fail("--secret-fd needs a descriptor number");
      }
    } else {
      parsed.values[arg].push_back(value);
    }
  }
  if (!parsed.overrides.pin_sha256.empty() && !parsed.overrides.ca_file.empty()) {
    return fail("give --pin or --ca, not both");
  }
  if (parsed.overrides.secret_fd.has_value() && !parsed.overrides.secret_file.empty()) {
    return fail("give --secret-fd or --secret-file, not both");
  }
  return parsed;
}

base::Result<std::unique_ptr<AdminClient>, ControlCliError> connect_admin(const ControlArgs& args, CliContext& ctx) {
  auto found = find_cli_config(args.config_path, ctx.env, ctx.system_cli_config);
  if (!found.has_value()) {
    return base::unexpected(ControlCliError{kExitUsage, "--config: " + found.error().message});
  }
  ControlSettings settings;
  if (found->has_value()) {
    auto loaded = load_cli_config(**found);
    if (!loaded.has_value()) {
      return base::unexpected(ControlCliError{kExitUsage, "CLI config: " + loaded.error().message});
    }
    settings = std::move(loaded).value();
  }
  const ControlSettings& cli = args.overrides;
  const auto take = [](std::string& field, const std::string& value) {
    if (!value.empty()) {
      field = value;
    }
  };
  take(settings.control, cli.control);
  if (!cli.pin_sha256.empty() || !cli.ca_file.empty()) {
    // The command line's trust anchor replaces the config's, whichever kind either is.
    settings.pin_sha256 = cli.pin_sha256;
    settings.ca_file = cli.ca_file;
  }
  take(settings.server_name, cli.server_name);
  take(settings.audience, cli.audience);
  take(settings.admin_key_dir, cli.admin_key_dir);
  if (cli.secret_fd.has_value() || !cli.secret_file.empty()) {
    settings.secret_fd = cli.secret_fd;
    settings.secret_file = cli.secret_file;
  }
  return AdminClient::create(settings, ctx.clock, ctx.control_tuning);
}

std::optional<int> check_control_subcommand(const std::vector<std::string>& args, const char* group,
                                            const std::set<std::string>& subcommands, const std::string& usage,
                                            CliContext& ctx) {
  if (args.empty()) {
    ctx.err << usage;
    return kExitUsage;
  }
  if (wants_help(args)) {
    ctx.out << usage;
    return kExitOk;
  }
  if (subcommands.count(args[0]) == 0) {
    ctx.err << "rustynet control " << group << ": unknown subcommand '" << terminal_safe(args[0]) << "'\n" << usage;
    return kExitUsage;
  }
  return std::nullopt;
}

int report_control_error(const char* name, const ControlCliError& error, CliContext& ctx) {
  ctx.err << "rustynet " << name << ": " << error.message << "\n";
  return error.exit_code;
}

int run_control(const std::vector<std::string>& args, CliContext& ctx) {
  if (args.empty()) {
    ctx.err << kControlUsage;
    return kExitUsage;
  }
  if (args[0] == "--help" || args[0] == "-h") {
    ctx.out << kControlUsage << "\n" << kControlOptionsHelp;
    return kExitOk;
  }
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  if (args[0] == "node") {
    return run_control_node(rest, ctx);
  }
  if (args[0] == "policy") {
    return run_control_policy(rest, ctx);
  }
  if (args[0] == "revoke") {
    return run_control_revoke(rest, ctx);
  }
  ctx.err << "rustynet control: unknown subcommand '" << terminal_safe(args[0]) << "'\n" << kControlUsage;
  return kExitUsage;
}

}  // namespace rustynet::apps::cli
