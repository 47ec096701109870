// SPDX-License-Identifier: Apache-2.0
// LocalApiClient: one request/response exchange with rustynetd over its Unix socket
// (newline-delimited JSON, docs/control-protocol.md "Local API").
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "rustynet/base/result.hpp"

namespace rustynet::apps::cli {

inline constexpr std::int64_t kLocalApiVersion = 1;
// docs/control-protocol.md: a request line is at most 64 KiB.
inline constexpr std::size_t kMaxLocalRequestBytes = std::size_t{64} << 10U;

enum class LocalApiErrorKind : std::uint8_t {
  kUnreachable,  // no socket, nobody listening, connection reset before a response, timeout
  kPermission,   // the socket refused us (EACCES/EPERM) or the daemon answered "forbidden"
  kProtocol,     // the response is not a valid contract response (malformed, oversize, truncated)
  kRefused,      // the daemon answered ok:false (other than "forbidden")
  kUsage,        // the request itself is too large
};

struct LocalApiError {
  LocalApiErrorKind kind = LocalApiErrorKind::kProtocol;
  std::string message;      // for the operator; daemon-provided text is made terminal-safe
  std::string daemon_kind;  // the daemon's "error" field for kRefused/kPermission answers
};

// Maps an error to the documented exit code (2 unreachable, 77 permission, 1 otherwise).
[[nodiscard]] int exit_code_for(const LocalApiError& error) noexcept;

struct LocalApiOptions {
  std::string socket_path;
  std::size_t max_response_bytes = std::size_t{8} << 20U;
  std::chrono::milliseconds timeout{10'000};
};

// Sends {"version":1,"method":METHOD[,"params":PARAMS]} as one line and returns the "result"
// object of an ok:true answer. Never reads more than max_response_bytes + 1 bytes.
[[nodiscard]] base::Result<nlohmann::json, LocalApiError> call_local_api(const LocalApiOptions& options,
                                                                         std::string_view method,
                                                                         const std::optional<nlohmann::json>& params);

// The request line call_local_api sends (without the newline); exposed for tests and docs.
[[nodiscard]] std::string encode_local_request(std::string_view method, const std::optional<nlohmann::json>& params);

// Validates a response line and extracts "result" (or the typed error). Exposed for tests.
[[nodiscard]] base::Result<nlohmann::json, LocalApiError> decode_local_response(std::string_view line,
                                                                                std::size_t max_bytes);

}  // namespace rustynet::apps::cli
