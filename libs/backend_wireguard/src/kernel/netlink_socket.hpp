// SPDX-License-Identifier: Apache-2.0
// The socket seam of the kernel driver: send one netlink request, receive one datagram. The real
// implementation is a libmnl socket; unit tests substitute a scripted fake.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "rustynet/base/result.hpp"
#include "rustynet/base/sys_error.hpp"

namespace rustynet::backend_wireguard::kernel {

class NetlinkSocket {
 public:
  virtual ~NetlinkSocket() = default;
  // Sends one complete netlink message (or batch) to the kernel.
  [[nodiscard]] virtual base::Status<base::SysError> send(std::span<const std::uint8_t> message) = 0;
  // Receives one datagram into `buffer`; returns its length. A datagram larger than the buffer is
  // an error (ENOSPC), never silently truncated. Times out (EAGAIN) rather than blocking forever.
  [[nodiscard]] virtual base::Result<std::size_t, base::SysError> receive(std::span<std::uint8_t> buffer) = 0;
};

// Opens and binds a netlink socket of `protocol` (NETLINK_GENERIC, NETLINK_ROUTE) in the calling
// thread's network namespace, with NETLINK_CAP_ACK set (error replies do not echo our request,
// which may hold a private key) and a receive timeout of `receive_timeout_ms`.
[[nodiscard]] base::Result<std::unique_ptr<NetlinkSocket>, base::SysError> open_netlink_socket(
    int protocol, int receive_timeout_ms = 10000);

}  // namespace rustynet::backend_wireguard::kernel
