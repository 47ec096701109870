// SPDX-License-Identifier: Apache-2.0
// MetricsServer: a tiny blocking HTTP responder for GET /metrics, bound to loopback only.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "rustynet/base/metrics.hpp"
#include "rustynet/base/result.hpp"
#include "rustynet/base/sys_error.hpp"
#include "rustynet/base/unique_fd.hpp"

namespace rustynet::base {

// A loopback listen address: 127.0.0.0/8 or ::1, with a port (0: the kernel picks one).
struct LoopbackEndpoint {
  bool ipv6 = false;
  std::array<std::uint8_t, 16> address{};  // IPv4 in the first 4 bytes
  std::uint16_t port = 0;

  // "127.0.0.1:9101" or "[::1]:9101".
  [[nodiscard]] std::string to_string() const;
};

// Parses "A.B.C.D:PORT" or "[::1]:PORT". Errors (MetricsError): malformed text, a port above 65535,
// and any address that is not loopback (127.0.0.0/8, ::1): the endpoint is unauthenticated, so it
// is never reachable from another host.
[[nodiscard]] Result<LoopbackEndpoint, MetricsError> parse_loopback_endpoint(std::string_view text);

struct MetricsServerOptions {
  // A scrape must send its request head within this time; replies are bounded by it too.
  std::chrono::milliseconds io_timeout{2000};
  std::size_t max_request_bytes = 4096;  // request line + headers; beyond: 431 and close
};

// Serves one connection at a time on its own thread (poll on the listener and a wake pipe; idle is
// blocked, no timers). "GET /metrics" answers the registry's render() as text/plain version 0.0.4;
// another path is 404, another method 405, a malformed request 400, an oversize one 431. Every
// response closes the connection (no keep-alive: nothing to bound between requests).
class MetricsServer {
 public:
  // Binds and listens on `endpoint`, starts the thread. `registry` must outlive the server.
  // Errors: socket/bind/listen/pipe failures with errno (EADDRINUSE: the port is taken).
  [[nodiscard]] static Result<std::unique_ptr<MetricsServer>, SysError> start(const LoopbackEndpoint& endpoint,
                                                                              const MetricsRegistry& registry,
                                                                              MetricsServerOptions options = {});
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;
  MetricsServer(MetricsServer&&) = delete;
  MetricsServer& operator=(MetricsServer&&) = delete;

  // The bound port (the kernel's choice when the endpoint asked for 0).
  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
  // Stops and joins the thread and closes the listener. Idempotent.
  void stop();

  MetricsServer(const MetricsRegistry& registry, MetricsServerOptions options, UniqueFd listener, UniqueFd wake_read,
                UniqueFd wake_write, std::uint16_t port);

 private:
  void run();
  void serve(int fd);

  const MetricsRegistry* registry_;
  MetricsServerOptions options_;
  UniqueFd listener_;
  UniqueFd wake_read_;
  UniqueFd wake_write_;
  std::uint16_t port_;
  std::thread thread_;
  std::atomic<bool> stopped_{false};
};

}  // namespace rustynet::base
