// SPDX-License-Identifier: Apache-2.0
// UdpSocket: a small blocking-with-timeout UDP socket for relay clients, tools and tests.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "rustynet/base/result.hpp"
#include "rustynet/base/sys_error.hpp"
#include "rustynet/base/unique_fd.hpp"
#include "rustynet/relay/endpoint.hpp"

namespace rustynet::relay {

struct Received {
  std::size_t size = 0;
  RelayEndpoint source;
  bool truncated = false;
};

// Move-only. Not thread-safe. Errors are SysError with errno from the failing call.
class UdpSocket {
 public:
  // Binds `local` (port 0: kernel picks). Non-blocking, close-on-exec.
  [[nodiscard]] static base::Result<UdpSocket, base::SysError> bind(const RelayEndpoint& local);

  [[nodiscard]] base::Result<RelayEndpoint, base::SysError> local_endpoint() const;
  [[nodiscard]] base::Status<base::SysError> send_to(const RelayEndpoint& destination,
                                                     std::span<const std::uint8_t> datagram) const;
  // Waits up to `timeout` for one datagram; empty when none arrived in time.
  [[nodiscard]] base::Result<std::optional<Received>, base::SysError> receive(std::span<std::uint8_t> buffer,
                                                                              std::chrono::milliseconds timeout) const;
  // Best-effort socket buffer sizes (SO_RCVBUF/SO_SNDBUF).
  void set_buffer_sizes(int bytes) const noexcept;
  [[nodiscard]] int fd() const noexcept { return fd_.get(); }

 private:
  explicit UdpSocket(base::UniqueFd fd) : fd_(std::move(fd)) {}
  base::UniqueFd fd_;
};

}  // namespace rustynet::relay
