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
  std::size_t max_connections = 256;              // beyond: accepted and closed at once
  std::uint32_t header_limit_bytes = 8U * 1024U;  // request line + headers -> 431
  std::uint64_t body_limit_bytes = 16U * 1024U;   // body -> 413
  std::chrono::milliseconds handshake_timeout{5'000};
  std::chrono::milliseconds request_timeout{10'000};  // whole request, and keep-alive idle time
  std::uint32_t max_requests_per_connection = 1'000;
};

struct ServerOptions {
  std::string bind_address = "127.0.0.1";
  std::uint16_t port = 0;  // 0: pick a free port (tests)
  unsigned threads = 2;
  ServerLimits limits;
};

struct ServerError {
  std::string message;
};

struct ServerStats {
  std::uint64_t accepted = 0;
  std::uint64_t refused_over_cap = 0;
  std::uint64_t active = 0;
};

// Endpoints: GET /v1/health (no token; per-IP limit only) and POST /v1/echo (token; answers the
// verified identity). Anything else: 404/405 after the per-IP limit. Thread-safe start/stop.
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
  // Stops accepting, drops connections, joins the threads. Idempotent.
  void stop();

  struct Impl;
  explicit ControlServer(std::unique_ptr<Impl> impl);

 private:
  std::unique_ptr<Impl> impl_;
};

// The endpoint authorisation used by the binary (RBAC baseline): any verified identity may call
// /v1/echo; everything else is default-deny.
[[nodiscard]] policy::Decision default_endpoint_policy(std::string_view identity, std::string_view endpoint);

}  // namespace rustynet::apps::control_server
