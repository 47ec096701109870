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

// UDP segmentation offloads (Linux). GSO: a run of equal-size datagrams to one address is sent as one
// message that the kernel splits as late as possible. GRO: a run from one source arrives as one buffer
// with its segment size. Each is used only when the kernel accepts it and falls back to one datagram per
// message otherwise; forwarded bytes are identical either way. On by default.
struct UdpOffload {
  bool gso = true;
  bool gro = true;
};

// What one batched socket path did (tests, benchmarks, stats). Monotonic counters.
struct UdpIoStats {
  bool gso_enabled = false;              // coalesced sends in use (false after a kernel refusal)
  bool gro_enabled = false;              // the kernel accepted UDP_GRO on this socket
  std::uint64_t receive_calls = 0;       // recvmmsg calls that returned at least one message
  std::uint64_t received_messages = 0;   // messages received (a GRO message holds several datagrams)
  std::uint64_t received_datagrams = 0;  // datagrams in them
  std::uint64_t sent_messages = 0;       // messages the kernel accepted
  std::uint64_t gso_messages = 0;        // of those, carrying several datagrams
  std::uint64_t gso_fallbacks = 0;       // GSO messages refused and resent one datagram at a time
};

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
