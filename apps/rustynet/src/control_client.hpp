// SPDX-License-Identifier: Apache-2.0
// AdminClient: authenticated admin requests to rustynet-control (docs/control-protocol.md
// "Admin endpoints"): HTTPS (TLS 1.3, pinned or CA), a fresh admin token per request.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "cli_config.hpp"
#include "cli_context.hpp"
#include "rustynet/base/clock.hpp"
#include "rustynet/base/result.hpp"
#include "rustynet/control/https_client.hpp"
#include "rustynet/control/token_validator.hpp"
#include "rustynet/crypto/custody_file.hpp"

namespace rustynet::apps::cli {

// A failed admin request, already mapped to the CLI's exit code.
struct ControlCliError {
  int exit_code = 1;
  std::string message;  // never contains the token, the secret or request bodies
};

inline constexpr std::chrono::seconds kAdminTokenLifetime{60};  // docs/control-protocol.md

class AdminClient {
 public:
  // Validates the settings, unseals the admin key (purpose control-signing) from its encrypted
  // key directory and prepares the HTTPS client (no connection yet). Errors: exit 64 for missing
  // or contradictory settings, 1 for key custody or TLS configuration failures.
  [[nodiscard]] static base::Result<std::unique_ptr<AdminClient>, ControlCliError> create(
      const ControlSettings& settings, const base::Clock& clock, const ControlClientTuning& tuning = {});

  // One request with a fresh single-use admin token. A 2xx answer's JSON body (strict, version 1)
  // is returned; any other status becomes an error carrying the server's error class and message
  // (401/403 -> exit 77; unreachable/timeout -> exit 2; everything else -> 1).
  [[nodiscard]] base::Result<nlohmann::json, ControlCliError> request(std::string_view method, std::string path,
                                                                      const std::optional<nlohmann::json>& body);

  AdminClient(std::unique_ptr<control::HttpsClient> https, control::TokenIssuer issuer, std::string endpoint);

 private:
  std::unique_ptr<control::HttpsClient> https_;
  control::TokenIssuer issuer_;
  std::string endpoint_;  // host:port, for messages
};

}  // namespace rustynet::apps::cli
