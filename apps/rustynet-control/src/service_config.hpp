// SPDX-License-Identifier: Apache-2.0
// rustynet-control configuration: strict, versioned JSON; refuses any non-TLS-1.3 transport policy.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "rustynet/base/result.hpp"
#include "rustynet/control/tls_policy.hpp"
#include "rustynet/crypto/ed25519.hpp"

namespace rustynet::apps::control_server {

inline constexpr std::int64_t kConfigVersion = 1;

// {
//   "version": 1,
//   "listen": {"address": "0.0.0.0", "port": 8443},
//   "tls": {"min_version": "1.3", "max_version": "1.3", "certificate_file": "...", "private_key_file": "..."},
//   "state_dir": "/var/lib/rustynet-control",          (holds control.db, mode 0700)
//   "security_event_log": "/var/log/rustynet-control/security-events.log",
//   "audience": "rustynet-control",
//   "token_signing_public_keys": ["<base64 Ed25519>", ...],
//   "nonce_capacity": 1000000                          (optional)
// }
struct ServiceConfig {
  std::string listen_address;
  std::uint16_t port = 0;
  control::TlsPolicy tls_policy;
  std::string certificate_file;
  std::string private_key_file;
  std::string state_dir;
  std::string security_event_log;
  std::string audience;
  std::vector<crypto::Ed25519PublicKey> token_keys;
  std::size_t nonce_capacity = 1'000'000;
};

struct ConfigError {
  std::string message;
};

// Errors name the offending JSON path; TLS versions other than 1.3 are refused here (startup fails).
[[nodiscard]] base::Result<ServiceConfig, ConfigError> parse_service_config(std::string_view json_text);
[[nodiscard]] base::Result<ServiceConfig, ConfigError> load_service_config(const std::string& path);

}  // namespace rustynet::apps::control_server
