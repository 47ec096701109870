// SPDX-License-Identifier: Apache-2.0
// RelayServer: the UDP edge around RelayCore (recvmmsg/sendmmsg batches, zero-copy forwarding).
#pragma once

#include <atomic>
#include <chrono>
#include <memory>

#include "rustynet/base/clock.hpp"
#include "rustynet/base/result.hpp"
#include "rustynet/base/sys_error.hpp"
#include "rustynet/relay/endpoint.hpp"
#include "rustynet/relay/relay_core.hpp"
#include "rustynet/relay/udp_socket.hpp"

namespace rustynet::relay {

// Owns one UDP socket and a RelayCore. All buffers are allocated once in create(): receiving,
// deciding and forwarding a datagram allocate nothing; a forwarded datagram is sent from the buffer
// it was received into (runs to one address coalesced into one GSO send, never mixing addresses).
// Single-threaded: call poll_once()/run() from one thread only.
class RelayServer {
 public:
  static constexpr std::size_t kBatchSize = 64;

  // Binds `listen` (port 0: kernel picks). `clock` must outlive the server. `offload`: UDP GRO/GSO when
  // the kernel has them (docs/relay.md "I/O"); every datagram of a GRO run is still decided on its own.
  [[nodiscard]] static base::Result<RelayServer, base::SysError> create(const RelayEndpoint& listen, RelayCore core,
                                                                        const base::Clock& clock,
                                                                        UdpOffload offload = UdpOffload{});
  RelayServer(RelayServer&&) noexcept;
  RelayServer& operator=(RelayServer&&) noexcept;
  RelayServer(const RelayServer&) = delete;
  RelayServer& operator=(const RelayServer&) = delete;
  ~RelayServer();

  [[nodiscard]] RelayEndpoint local_endpoint() const;
  // Waits up to `timeout` for datagrams, then drains up to `max_batches` batches (of kBatchSize messages;
  // a GRO message holds several datagrams) and runs expiry when a second has passed since the last run.
  // Returns the number of datagrams received.
  // Errors: poll/recvmmsg failures other than EINTR/EAGAIN.
  [[nodiscard]] base::Result<std::size_t, base::SysError> poll_once(std::chrono::milliseconds timeout,
                                                                    std::size_t max_batches = 16);
  // Loops poll_once() until `stop` becomes true (checked at least every 200 ms).
  [[nodiscard]] base::Status<base::SysError> run(const std::atomic<bool>& stop);

  [[nodiscard]] RelayCore& core() noexcept;
  [[nodiscard]] const RelayCore& core() const noexcept;
  [[nodiscard]] UdpIoStats io_stats() const noexcept;

 private:
  struct Impl;
  explicit RelayServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace rustynet::relay
