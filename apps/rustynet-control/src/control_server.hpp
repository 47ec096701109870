// SPDX-License-Identifier: Apache-2.0
// ControlServer: HTTPS (TLS 1.3 only) front of the control plane, every request through the AuthChain.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "rustynet/base/result.hpp"
#include "rustynet/control/auth_chain.hpp"
#include "rustynet/control/security_event.hpp"
#include "rustynet/control/tls_context.hpp"

namespace rustynet::apps::control_server {

// Resource bounds that cut off malformed, oversize and slow clients.
struct ServerLimits {
  std::size_t max_connections = 256;                                   // beyond: accepted and closed at once
  std::uint32_t header_limit_bytes = 8U * 1024U;                       // request line + headers -> 431
  std::uint64_t body_limit_bytes = std::uint64_t{16} * 1024U;          // body -> 413
  std::uint64_t policy_body_limit_bytes = std::uint64_t{256} * 1024U;  // PUT /v1/admin/policy body -> 413
  std::chrono::milliseconds handshake_timeout{5'000};
  std::chrono::milliseconds request_timeout{10'000};  // whole request, and keep-alive idle time
  std::uint32_t max_requests_per_connection = 1'000;
};

class ControlApi;

// Observability hooks (metrics). Called on the server threads: implementations must be thread-safe,
// cheap and must not block.
class ServerObserver {
 public:
  virtual ~ServerObserver() = default;
  // A TLS handshake did not complete (refused version or cipher, timeout, a scanner hanging up).
  virtual void tls_handshake_failed() noexcept = 0;
  // A response is being written. `route`: the route name the auth chain sees ("/v1/node/sync",
  // "/v1/admin/nodes/{id}", "unmatched"), or "transport" for a request that never reached a route
  // (oversize, malformed).
  virtual void responded(std::string_view route, unsigned status) noexcept = 0;
};

struct ServerOptions {
  std::string bind_address = "127.0.0.1";
  std::uint16_t port = 0;  // 0: pick a free port (tests)
  unsigned threads = 2;
  ServerLimits limits;
  // The node and admin endpoints (docs/control-protocol.md); null serves only health and echo.
  // Must outlive the server.
  ControlApi* api = nullptr;
  // Chain for /v1/node/* (its own rate-limit budget sized for long-polling, see
  // docs/control-server.md); null uses the main chain. Must outlive the server.
  const control::AuthChain* node_chain = nullptr;
  ServerObserver* observer = nullptr;  // optional; must outlive the server
};

struct ServerError {
  std::string message;
};

struct ServerStats {
  std::uint64_t accepted = 0;
  std::uint64_t refused_over_cap = 0;
  std::uint64_t active = 0;
};

// Endpoints: GET /v1/health (no token; per-IP limit only), POST /v1/echo (token; answers the
// verified identity) and, with an api, /v1/node/sync (long-poll) and /v1/admin/*. Anything else:
// 404/405 after the per-IP limit. Thread-safe start/stop/notify.
class ControlServer {
 public:
  // Binds, listens and starts the worker threads. `chain` and `events` must outlive the server;
  // `events` also receives transport-level denials (malformed, oversize, timeout, over cap).
  [[nodiscard]] static base::Result<std::unique_ptr<ControlServer>, ServerError> start(const ServerOptions& options,
                                                                                       control::TlsServerContext tls,
                                                                                       const control::AuthChain& chain,
                                                                                       control::EventSink& events);
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;
  ControlServer(ControlServer&&) = delete;
  ControlServer& operator=(ControlServer&&) = delete;

  [[nodiscard]] std::uint16_t port() const;
  [[nodiscard]] ServerStats stats() const;
  // Wakes every held long-poll (each re-checks its node's state). `version` is MeshState::version()
  // after the change. Cheap; callable from any thread.
  void notify(std::uint64_t version);
  // Long-polls currently held.
  [[nodiscard]] std::size_t waiting() const;
  // Stops accepting, drops connections, joins the threads. Idempotent.
  void stop();

  struct Impl;
  explicit ControlServer(std::unique_ptr<Impl> impl);

 private:
  std::unique_ptr<Impl> impl_;
};

// The endpoint authorisation of the old echo-only server (tests): any verified identity may call
// /v1/echo; everything else is default-deny.
[[nodiscard]] policy::Decision default_endpoint_policy(std::string_view identity, std::string_view endpoint);

// The subject of admin tokens. No node may be registered under this id.
inline constexpr std::string_view kAdminSubject = "admin";

// The binary's endpoint authorisation (RBAC baseline, default deny): /v1/admin/* only for the
// admin identity, /v1/node/* only for node identities. Nothing else needs a token.
[[nodiscard]] policy::Decision service_endpoint_policy(std::string_view identity, std::string_view endpoint);

}  // namespace rustynet::apps::control_server
