// SPDX-License-Identifier: Apache-2.0
// CliContext: everything a command needs from its environment, injected so commands are testable.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>

#include "cli_config.hpp"
#include "rustynet/base/clock.hpp"
#include "rustynet/crypto/custody_file.hpp"

namespace rustynet::apps::cli {

inline constexpr const char* kDefaultSocketPath = "/run/rustynet/rustynetd.sock";
// docs/control-protocol.md: one response line of at most 8 MiB (the newline not counted).
inline constexpr std::size_t kMaxLocalResponseBytes = std::size_t{8} << 20U;

// Knobs of `rustynet control ...` the command line does not expose (tests lower the Argon2id
// floor of the admin key store and the network timeouts).
struct ControlClientTuning {
  crypto::EnvelopeLimits limits = crypto::default_envelope_limits();
  std::chrono::milliseconds connect_timeout{5'000};
  std::chrono::milliseconds request_timeout{15'000};
};

struct CliContext {
  std::ostream& out;
  std::ostream& err;
  // Wall time for "ago"/"expires in" columns; never required (an unusable clock prints no age).
  const base::Clock& clock;
  std::string default_socket = kDefaultSocketPath;
  std::size_t max_response_bytes = kMaxLocalResponseBytes;
  // Bound on the whole exchange with the daemon (connect, send, receive); a daemon that stops
  // answering must not hang a script forever.
  std::chrono::milliseconds timeout{10'000};
  // Environment lookup (HOME, XDG_CONFIG_HOME for the CLI config file); empty = no environment.
  std::function<std::optional<std::string>(const std::string&)> env;
  ControlClientTuning control_tuning{};
  // The system-wide CLI config file (tests point it into a temporary directory).
  std::string system_cli_config = kSystemCliConfigPath;
};

}  // namespace rustynet::apps::cli
