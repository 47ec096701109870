// SPDX-License-Identifier: Apache-2.0
// ControlSettings: how `rustynet control ...` reaches and authenticates to rustynet-control, from
// the command line and the optional CLI config file (strict, versioned JSON; never a secret).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "rustynet/base/result.hpp"

namespace rustynet::apps::cli {

inline constexpr std::int64_t kCliConfigVersion = 1;
inline constexpr const char* kSystemCliConfigPath = "/etc/rustynet/cli.json";
inline constexpr std::size_t kMaxCliConfigBytes = std::size_t{64} << 10U;

// Every field may come from the config file or the command line (the command line wins).
// The operator secret itself is never stored: only where to read it from.
struct ControlSettings {
  std::string control;     // "host:port" or "[v6]:port"
  std::string pin_sha256;  // exactly one of pin_sha256 / ca_file
  std::string ca_file;
  std::string server_name;  // TLS name (CA mode) and Host header; default: the host
  std::string audience = "rustynet-control";
  std::string admin_key_dir;     // encrypted key directory holding the admin key (purpose control-signing)
  std::string secret_file;       // operator secret sealing admin_key_dir (owner-only file)
  std::optional<int> secret_fd;  // command line only
};

struct CliConfigError {
  std::string message;
};

// {"version":1,
//  "control":{"url":"host:port","pin_sha256":"<64 hex>" | "ca_file":"PATH","server_name":"...","audience":"..."},
//  "admin":{"key_dir":"PATH","secret_file":"PATH"}}
// Every member except "version" is optional; unknown fields, a secret-looking field and both
// pin_sha256 and ca_file are errors.
[[nodiscard]] base::Result<ControlSettings, CliConfigError> parse_cli_config(const std::string& text);

// The config file to use: `explicit_path` if given (must exist), else the first existing of
// $XDG_CONFIG_HOME/rustynet/cli.json (else $HOME/.config/rustynet/cli.json), `system_path`
// (normally /etc/rustynet/cli.json); nullopt if none exists.
[[nodiscard]] base::Result<std::optional<std::string>, CliConfigError> find_cli_config(
    const std::optional<std::string>& explicit_path,
    const std::function<std::optional<std::string>(const std::string&)>& env, const std::string& system_path);

// Reads (bounded, no final symlink) and parses a config file.
[[nodiscard]] base::Result<ControlSettings, CliConfigError> load_cli_config(const std::string& path);

}  // namespace rustynet::apps::cli
