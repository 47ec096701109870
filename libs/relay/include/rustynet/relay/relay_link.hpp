// SPDX-License-Identifier: Apache-2.0
// RelayLink: the node side of one relayed peer (hello exchange, then batched forwarding).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "rustynet/base/clock.hpp"
#include "rustynet/base/result.hpp"
#include "rustynet/base/sys_error.hpp"
#include "rustynet/relay/endpoint.hpp"
#include "rustynet/relay/protocol.hpp"
#include "rustynet/relay/udp_socket.hpp"

namespace rustynet::relay {

// Owns two UDP sockets: one towards the relay (the address the relay binds) and one on loopback
// that the local tunnel peer uses as its peer endpoint. Datagrams are forwarded unchanged in
// batches (recvmmsg/sendmmsg, UDP GRO/GSO when available); only relay control messages are
// interpreted. Single-threaded.
// Intended user: the daemon (docs/relay.md "Node side"); today the namespace test's tool.
class RelayLink {
 public:
  struct Options {
    RelayEndpoint relay;          // the relay's public address
    RelayEndpoint upstream_bind;  // usually 0.0.0.0:0
    RelayEndpoint local_listen;   // loopback address the tunnel peer sends to (port 0: pick)
    RelayEndpoint tunnel;         // the local tunnel's own listen address
    std::chrono::milliseconds keepalive_interval{std::chrono::seconds(10)};
    std::chrono::milliseconds dead_after{std::chrono::seconds(30)};  // no ack/data this long: dead
    UdpOffload offload{};  // GRO/GSO on both sockets when the kernel has them (docs/relay.md "I/O")
  };

  // `clock` must outlive the link. Errors: socket/bind failures.
  [[nodiscard]] static base::Result<RelayLink, base::SysError> create(const Options& options, const base::Clock& clock);
  RelayLink(RelayLink&&) noexcept;
  RelayLink& operator=(RelayLink&&) noexcept;
  RelayLink(const RelayLink&) = delete;
  RelayLink& operator=(const RelayLink&) = delete;
  ~RelayLink();

  // Hello exchange with `ticket`: up to `attempts` tries, `per_try` wait each. Returns the relay's
  // final answer (kAccept or kReject). Errors: no answer in time, socket errors, bad ticket size.
  [[nodiscard]] base::Result<ServerMessage, std::string> allocate(
      std::span<const std::uint8_t> ticket, int attempts = 10,
      std::chrono::milliseconds per_try = std::chrono::milliseconds(500));
  // Waits up to `timeout`, forwards what arrived in both directions, sends keepalives. Returns
  // false once the relay has been silent for dead_after (allocate again with a fresh ticket).
  [[nodiscard]] base::Result<bool, base::SysError> pump(std::chrono::milliseconds timeout);

  [[nodiscard]] RelayEndpoint local_endpoint() const;
  [[nodiscard]] std::uint64_t forwarded_to_relay() const noexcept;
  [[nodiscard]] std::uint64_t forwarded_to_tunnel() const noexcept;
  // I/O of the relay-facing and the loopback socket (receives on that socket, sends through it).
  [[nodiscard]] UdpIoStats relay_side_stats() const;
  [[nodiscard]] UdpIoStats tunnel_side_stats() const;

 private:
  struct Impl;
  explicit RelayLink(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace rustynet::relay
