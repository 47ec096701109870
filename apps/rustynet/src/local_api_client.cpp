// SPDX-License-Identifier: Apache-2.0
// Local API client: bounded, time-limited, strict newline-delimited JSON over a Unix socket.
#include "local_api_client.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>

#include "exit_codes.hpp"
#include "rustynet/base/strict_json.hpp"
#include "rustynet/base/sys_error.hpp"
#include "rustynet/base/unix_socket.hpp"
#include "text_format.hpp"

namespace rustynet::apps::cli {
namespace {

using Clock = std::chrono::steady_clock;

LocalApiError error(LocalApiErrorKind kind, std::string message) {
  return LocalApiError{.kind = kind, .message = std::move(message), .daemon_kind = {}};
}

// Milliseconds left until `deadline`, at least 0.
int remaining_ms(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return static_cast<int>(std::clamp<std::int64_t>(left, 0, 60'000));
}

// Waits until `fd` is ready for `events`; false on timeout or poll failure (errno set or ETIMEDOUT).
bool wait_ready(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    pollfd entry{.fd = fd, .events = events, .revents = 0};
    const int rc = ::poll(&entry, 1, remaining_ms(deadline));
    if (rc > 0) {
      return true;
    }
    if (rc == 0) {
      errno = ETIMEDOUT;
      return false;
    }
    if (errno != EINTR) {
      return false;
    }
  }
}

LocalApiError io_error(const std::string& socket_path, const std::string& what) {
  const base::SysError sys = base::last_sys_error(what);
  if (sys.error_number == ETIMEDOUT) {
    return error(LocalApiErrorKind::kUnreachable, "rustynetd at " + socket_path + " did not answer in time");
  }
  return error(LocalApiErrorKind::kUnreachable, "lost the connection to rustynetd: " + sys.describe());
}

base::Status<LocalApiError> send_all(int fd, std::string_view data, const std::string& socket_path,
                                     Clock::time_point deadline) {
  while (!data.empty()) {
    if (!wait_ready(fd, POLLOUT, deadline)) {
      return base::unexpected(io_error(socket_path, "send request"));
    }
    const ssize_t sent = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (sent < 0) {
      if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) {
        continue;
      }
      return base::unexpected(io_error(socket_path, "send request"));
    }
    data.remove_prefix(static_cast<std::size_t>(sent));
  }
  return {};
}

// Reads up to the first newline. Reads at most max_bytes + 1 bytes in total, so a runaway daemon
// cannot make the CLI buffer without bound.
base::Result<std::string, LocalApiError> receive_line(int fd, std::size_t max_bytes, const std::string& socket_path,
                                                      Clock::time_point deadline) {
  std::string buffer;
  std::array<char, 16384> chunk{};
  for (;;) {
    if (!wait_ready(fd, POLLIN, deadline)) {
      return base::unexpected(io_error(socket_path, "read response"));
    }
    const std::size_t room = max_bytes + 1 - buffer.size();
    const ssize_t got = ::recv(fd, chunk.data(), std::min(chunk.size(), room), MSG_DONTWAIT);
    if (got < 0) {
      if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) {
        continue;
      }
      return base::unexpected(io_error(socket_path, "read response"));
    }
    if (got == 0) {
      if (buffer.empty()) {
        return base::unexpected(
            error(LocalApiErrorKind::kProtocol, "rustynetd closed the connection without a response"));
      }
      return base::unexpected(
          error(LocalApiErrorKind::kProtocol, "malformed response from rustynetd: truncated (no end of line after " +
                                                  std::to_string(buffer.size()) + " bytes)"));
    }
    const auto old_size = buffer.size();
    buffer.append(chunk.data(), static_cast<std::size_t>(got));
    const auto newline = buffer.find('\n', old_size);
    if (newline != std::string::npos) {
      buffer.resize(newline);
      return buffer;
    }
    if (buffer.size() > max_bytes) {
      return base::unexpected(error(LocalApiErrorKind::kProtocol, "response from rustynetd exceeds the limit of " +
                                                                      std::to_string(max_bytes) + " bytes"));
    }
  }
}

LocalApiError malformed(const base::JsonError& json_error) {
  return error(LocalApiErrorKind::kProtocol, "malformed response from rustynetd: " + json_error.describe());
}

}  // namespace

int exit_code_for(const LocalApiError& failure) noexcept {
  switch (failure.kind) {
    case LocalApiErrorKind::kUnreachable: return kExitUnreachable;
    case LocalApiErrorKind::kPermission: return kExitPermission;
    case LocalApiErrorKind::kUsage: return kExitUsage;
    case LocalApiErrorKind::kProtocol:
    case LocalApiErrorKind::kRefused: break;
  }
  return kExitFailure;
}

std::string encode_local_request(std::string_view method, const std::optional<nlohmann::json>& params) {
  nlohmann::json request = {{"version", kLocalApiVersion}, {"method", std::string(method)}};
  if (params.has_value()) {
    request["params"] = *params;
  }
  return request.dump();
}

base::Result<nlohmann::json, LocalApiError> decode_local_response(std::string_view line, std::size_t max_bytes) {
  auto parsed = base::parse_strict_json(line, base::JsonLimits{.max_bytes = max_bytes, .max_depth = 32});
  if (!parsed.has_value()) {
    return base::unexpected(malformed(parsed.error()));
  }
  auto reader = base::JsonObjectReader::create(*parsed, "$");
  if (!reader.has_value()) {
    return base::unexpected(malformed(reader.error()));
  }
  if (auto version = base::require_version(*reader, kLocalApiVersion); !version.has_value()) {
    return base::unexpected(malformed(version.error()));
  }
  auto ok = reader->required_bool("ok");
  if (!ok.has_value()) {
    return base::unexpected(malformed(ok.error()));
  }
  if (*ok) {
    auto result = reader->required_value("result");
    if (!result.has_value()) {
      return base::unexpected(malformed(result.error()));
    }
    if (!(*result)->is_object()) {
      return base::unexpected(malformed(base::JsonError{"$.result", "must be an object"}));
    }
    if (auto done = reader->finish(); !done.has_value()) {
      return base::unexpected(malformed(done.error()));
    }
    return **result;
  }
  auto kind = reader->required_string("error");
  if (!kind.has_value()) {
    return base::unexpected(malformed(kind.error()));
  }
  auto message = reader->required_string("message");
  if (!message.has_value()) {
    return base::unexpected(malformed(message.error()));
  }
  if (auto done = reader->finish(); !done.has_value()) {
    return base::unexpected(malformed(done.error()));
  }
  const bool forbidden = *kind == "forbidden";
  return base::unexpected(LocalApiError{
      .kind = forbidden ? LocalApiErrorKind::kPermission : LocalApiErrorKind::kRefused,
      .message = "rustynetd refused the request (" + terminal_safe(*kind) + "): " + terminal_safe(*message),
      .daemon_kind = *kind});
}

base::Result<nlohmann::json, LocalApiError> call_local_api(const LocalApiOptions& options, std::string_view method,
                                                           const std::optional<nlohmann::json>& params) {
  std::string request = encode_local_request(method, params);
  if (request.size() > kMaxLocalRequestBytes) {
    return base::unexpected(error(LocalApiErrorKind::kUsage, "request exceeds the local API limit of " +
                                                                 std::to_string(kMaxLocalRequestBytes) + " bytes"));
  }
  request.push_back('\n');
  const auto deadline = Clock::now() + options.timeout;
  auto connected = base::connect_unix_stream(options.socket_path);
  if (!connected.has_value()) {
    const int code = connected.error().error_number;
    if (code == EACCES || code == EPERM) {
      return base::unexpected(error(LocalApiErrorKind::kPermission,
                                    "permission denied on " + options.socket_path +
                                        " (members of the socket's group, usually 'rustynet', may read; root or "
                                        "the admin group may change)"));
    }
    return base::unexpected(
        error(LocalApiErrorKind::kUnreachable, "cannot reach rustynetd: " + connected.error().describe() +
                                                   " (is rustynetd running? see 'systemctl status rustynetd')"));
  }
  RUSTYNET_RETURN_IF_ERROR(send_all(connected->get(), request, options.socket_path, deadline));
  RUSTYNET_ASSIGN_OR_RETURN(const std::string line,
                            receive_line(connected->get(), options.max_response_bytes, options.socket_path, deadline));
  return decode_local_response(line, options.max_response_bytes);
}

}  // namespace rustynet::apps::cli
