// SPDX-License-Identifier: Apache-2.0
// HttpsClient: blocking HTTPS/1.1 client for the control protocol (TLS 1.3 only, pinned or CA-verified).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "rustynet/base/result.hpp"
#include "rustynet/control/tls_policy.hpp"

namespace rustynet::control {

// Stable kinds; append only.
enum class HttpsClientErrorKind : std::uint8_t {
  kInvalidConfig = 0,     // options rejected by create() (address, pin, CA file, TLS policy)
  kResolve = 1,           // host name did not resolve
  kConnect = 2,           // TCP connect failed (refused, unreachable)
  kTls = 3,               // TLS handshake failed (includes CA / host name verification failure)
  kPinMismatch = 4,       // server certificate SHA-256 is not the pinned one
  kTimeout = 5,           // connect, handshake or request exceeded its deadline
  kIo = 6,                // the connection failed or closed mid-request
  kProtocol = 7,          // not a well-formed HTTP/1.1 response
  kResponseTooLarge = 8,  // response headers or body above the configured bound
  kRequestTooLarge = 9,   // request body above the configured bound (nothing was sent)
  kAborted = 10,          // abort() was called
};

[[nodiscard]] std::string_view to_string(HttpsClientErrorKind kind) noexcept;

struct HttpsClientError {
  HttpsClientErrorKind kind = HttpsClientErrorKind::kIo;
  std::string message;  // never contains the bearer token or bodies

  // "kind: message"
  [[nodiscard]] std::string describe() const;
};

std::ostream& operator<<(std::ostream& out, const HttpsClientError& error);

// How the server is authenticated. Exactly one of pin_sha256 / ca_file must be set.
//  - pin_sha256: lowercase hex SHA-256 of the server's DER leaf certificate (64 digits). Chain and
//    name are not checked: the pin is the whole trust decision (self-signed control certificates).
//  - ca_file: PEM bundle; the chain must verify and the leaf must match `server_name` (DNS name or
//    IP address) per RFC 6125.
struct HttpsClientOptions {
  std::string host;  // IP literal or DNS name to connect to
  std::uint16_t port = 443;
  std::string server_name;  // SNI, Host header and CA-mode name check; empty: `host`
  std::string pin_sha256;
  std::string ca_file;
  TlsPolicy tls_policy;                               // must pass validate(): TLS 1.3 only
  std::chrono::milliseconds connect_timeout{5'000};   // resolve + TCP + TLS handshake
  std::chrono::milliseconds request_timeout{15'000};  // write + read of one request by default
  std::size_t max_response_bytes = 8U << 20U;         // body bound (docs/control-protocol.md)
  std::size_t max_request_bytes = 256U << 10U;        // body bound
};

struct HttpsRequest {
  std::string method;        // "GET", "POST", "PUT", "DELETE"
  std::string path;          // origin-form target, e.g. "/v1/node/sync"
  std::string bearer_token;  // empty: no Authorization header
  std::string body;          // sent as application/json when non-empty
  // Overrides request_timeout (long-polls: wait_seconds + margin).
  std::optional<std::chrono::milliseconds> timeout;
};

struct HttpsResponse {
  unsigned status = 0;
  std::string body;
  std::optional<std::string> retry_after;  // Retry-After header when present
};

// "host:port" or "[v6]:port" with port 1..65535. Errors: kInvalidConfig.
[[nodiscard]] base::Result<std::pair<std::string, std::uint16_t>, HttpsClientError> parse_host_port(
    std::string_view text);

// One keep-alive connection, opened lazily and reused while the server keeps it open. If a REUSED
// connection turns out to be closed before any response byte arrives (the server's idle timeout),
// the request is sent once more on a fresh connection: the server cannot have seen it.
//
// Thread-safety: send()/close() from one thread at a time; abort() from any thread (it makes the
// in-flight send() and every later one fail with kAborted; a stop switch for shutdown);
// interrupt() from any thread (one-shot, see there).
class HttpsClient {
 public:
  // Validates the options (TLS policy, exactly one of pin/CA, pin syntax, CA file loadable).
  // Does not connect. Errors: kInvalidConfig.
  [[nodiscard]] static base::Result<std::unique_ptr<HttpsClient>, HttpsClientError> create(HttpsClientOptions options);

  ~HttpsClient();
  HttpsClient(const HttpsClient&) = delete;
  HttpsClient& operator=(const HttpsClient&) = delete;
  HttpsClient(HttpsClient&&) = delete;
  HttpsClient& operator=(HttpsClient&&) = delete;

  // Any HTTP status is a response (the caller interprets 4xx/5xx). Errors: every kind but
  // kInvalidConfig. After an error the connection is closed.
  [[nodiscard]] base::Result<HttpsResponse, HttpsClientError> send(const HttpsRequest& request);

  // Drops the kept connection (next send() reconnects).
  void close();
  // Thread-safe, idempotent.
  void abort();
  // Thread-safe, one-shot (for a network change: the kept connection's source address may be
  // gone). The connection is dropped: a send() in progress fails at once with kIo (message
  // "<step>: interrupted"; the kind list stays as callers switch over it); if
  // none is in progress, the next send() drops the kept connection and connects afresh. Either
  // way the interrupt is used up; later sends work normally. A second interrupt() before the
  // first is used up is absorbed by it.
  void interrupt();

  // TCP connections opened so far (keep-alive observability for tests and status).
  [[nodiscard]] std::uint64_t connections_opened() const noexcept;

  struct Impl;
  explicit HttpsClient(std::unique_ptr<Impl> impl);

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace rustynet::control
