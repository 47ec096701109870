// SPDX-License-Identifier: Apache-2.0
// The CLI config file: strict versioned JSON with the control address, trust anchor and admin key location.
#include "cli_config.hpp"

#include <sys/stat.h>

#include "rustynet/base/file_io.hpp"
#include "rustynet/base/strict_json.hpp"

namespace rustynet::apps::cli {
namespace {

bool exists(const std::string& path) {
  struct stat info {};
  return ::lstat(path.c_str(), &info) == 0;
}

base::Status<base::JsonError> read_optional(base::JsonObjectReader& reader, std::string_view key, std::string& field) {
  RUSTYNET_ASSIGN_OR_RETURN(auto value, reader.optional_string(key));
  if (value.has_value()) {
    if (value->empty()) {
      return base::unexpected(base::JsonError{reader.child_path(key), "must not be empty"});
    }
    field = std::move(*value);
  }
  return {};
}

base::Result<ControlSettings, base::JsonError> parse(const nlohmann::json& document) {
  ControlSettings settings;
  RUSTYNET_ASSIGN_OR_RETURN(auto reader, base::JsonObjectReader::create(document, "$"));
  RUSTYNET_RETURN_IF_ERROR(base::require_version(reader, kCliConfigVersion));
  if (const nlohmann::json* control = reader.optional_value("control"); control != nullptr) {
    RUSTYNET_ASSIGN_OR_RETURN(auto section, base::JsonObjectReader::create(*control, "$.control"));
    RUSTYNET_RETURN_IF_ERROR(read_optional(section, "url", settings.control));
    RUSTYNET_RETURN_IF_ERROR(read_optional(section, "pin_sha256", settings.pin_sha256));
    RUSTYNET_RETURN_IF_ERROR(read_optional(section, "ca_file", settings.ca_file));
    RUSTYNET_RETURN_IF_ERROR(read_optional(section, "server_name", settings.server_name));
    RUSTYNET_RETURN_IF_ERROR(read_optional(section, "audience", settings.audience));
    RUSTYNET_RETURN_IF_ERROR(section.finish());
    if (!settings.pin_sha256.empty() && !settings.ca_file.empty()) {
      return base::unexpected(base::JsonError{"$.control", "give pin_sha256 or ca_file, not both"});
    }
  }
  if (const nlohmann::json* admin = reader.optional_value("admin"); admin != nullptr) {
    RUSTYNET_ASSIGN_OR_RETURN(auto section, base::JsonObjectReader::create(*admin, "$.admin"));
    RUSTYNET_RETURN_IF_ERROR(read_optional(section, "key_dir", settings.admin_key_dir));
    RUSTYNET_RETURN_IF_ERROR(read_optional(section, "secret_file", settings.secret_file));
    // A secret value in a config file is refused by name (finish() would reject it anyway, but
    // this says why without echoing it).
    for (const char* forbidden : {"secret", "password", "passphrase", "private_key"}) {
      if (section.optional_value(forbidden) != nullptr) {
        return base::unexpected(base::JsonError{section.child_path(forbidden),
                                                "secrets are never read from the config file; use secret_file"});
      }
    }
    RUSTYNET_RETURN_IF_ERROR(section.finish());
  }
  RUSTYNET_RETURN_IF_ERROR(reader.finish());
  return settings;
}

}  // namespace

base::Result<ControlSettings, CliConfigError> parse_cli_config(const std::string& text) {
  auto document = base::parse_strict_json(text, base::JsonLimits{.max_bytes = kMaxCliConfigBytes, .max_depth = 8});
  if (!document.has_value()) {
    return base::unexpected(CliConfigError{document.error().describe()});
  }
  auto settings = parse(*document);
  if (!settings.has_value()) {
    return base::unexpected(CliConfigError{settings.error().describe()});
  }
  return std::move(settings).value();
}

base::Result<std::optional<std::string>, CliConfigError> find_cli_config(
    const std::optional<std::string>& explicit_path,
    const std::function<std::optional<std::string>(const std::string&)>& env, const std::string& system_path) {
  if (explicit_path.has_value()) {
    if (!exists(*explicit_path)) {
      return base::unexpected(CliConfigError{*explicit_path + ": no such file"});
    }
    return explicit_path;
  }
  std::vector<std::string> candidates;
  if (env) {
    if (auto xdg = env("XDG_CONFIG_HOME"); xdg.has_value() && !xdg->empty() && xdg->front() == '/') {
      candidates.push_back(*xdg + "/rustynet/cli.json");
    } else if (auto home = env("HOME"); home.has_value() && !home->empty() && home->front() == '/') {
      candidates.push_back(*home + "/.config/rustynet/cli.json");
    }
  }
  if (!system_path.empty()) {
    candidates.push_back(system_path);
  }
  for (const auto& candidate : candidates) {
    if (exists(candidate)) {
      return std::optional<std::string>(candidate);
    }
  }
  return std::optional<std::string>{};
}

base::Result<ControlSettings, CliConfigError> load_cli_config(const std::string& path) {
  auto text = base::read_file_bounded(path, kMaxCliConfigBytes);
  if (!text.has_value()) {
    return base::unexpected(CliConfigError{text.error().describe()});
  }
  auto settings = parse_cli_config(*text);
  if (!settings.has_value()) {
    return base::unexpected(CliConfigError{path + ": " + settings.error().message});
  }
  return std::move(settings).value();
}

}  // namespace rustynet::apps::cli
