// SPDX-License-Identifier: Apache-2.0
// RelayServer: batched UDP receive (GRO), RelayCore decisions per datagram, batched send (GSO) from the receive
// buffers.
#include "rustynet/relay/relay_server.hpp"

#include <poll.h>

#include <array>
#include <cerrno>

#include "batch_io.hpp"
#include "rustynet/relay/protocol.hpp"
#include "rustynet/relay/udp_socket.hpp"
#include "socket_address.hpp"

namespace rustynet::relay {

namespace {

// Replies (cookies, accepts, keepalive acks) waiting in the send batch; flushed early when all are used.
constexpr std::size_t kReplySlots = 64;

}  // namespace

struct RelayServer::Impl {
  Impl(UdpSocket s, RelayCore c, const base::Clock& k, std::size_t capacity)
      : socket(std::move(s)), core(std::move(c)), clock(&k), rx(kBatchSize, capacity), tx(kBatchSize) {}

  UdpSocket socket;
  RelayCore core;
  const base::Clock* clock;
  RelayEndpoint local;
  bool gro = false;
  detail::ReceiveBatch rx;
  detail::SendBatch tx;
  std::array<std::array<std::uint8_t, kMaxReplySize>, kReplySlots> replies{};
  std::size_t replies_used = 0;
  detail::SocketAddress destination{};
  UdpIoStats stats;
  base::MonotonicTime last_expiry{};

  void flush() {
    tx.flush(socket.fd());
    replies_used = 0;
    for (std::size_t failed = tx.take_failed(); failed > 0; --failed) {
      // A refused destination (unreachable, full buffer) loses only its own datagrams.
      core.note_send_error();
    }
  }

  // One datagram (a whole message, or one segment of a GRO message) through the core's decision.
  void handle(const RelayEndpoint& source, std::size_t message, std::span<std::uint8_t> datagram,
              base::MonotonicTime now) {
    ++stats.received_datagrams;
    if (datagram.size() > core.limits().max_datagram_bytes) {
      core.note_oversize();  // only possible with GRO buffers; without GRO the kernel truncates instead
      return;
    }
    if (replies_used == replies.size()) {
      flush();
    }
    std::array<std::uint8_t, kMaxReplySize>& reply = replies[replies_used];
    const Decision decision = core.handle(source, datagram, reply, now);
    if (decision.action == Action::kForward) {
      const socklen_t length = detail::to_socket_address(decision.destination, destination);
      tx.add(socket.fd(), datagram, destination, length);
    } else if (decision.action == Action::kReply) {
      ++replies_used;
      tx.add(socket.fd(), std::span<std::uint8_t>(reply).first(decision.reply_size), rx.source(message),
             rx.source_length(message), /*coalesce=*/false);
    }
  }

  // Receives one batch; returns how many messages arrived (0 when the socket is drained).
  base::Result<std::size_t, base::SysError> batch() {
    const int received = rx.receive(socket.fd());
    if (received < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
        return std::size_t{0};
      }
      return base::unexpected(base::last_sys_error("recvmmsg"));
    }
    if (received > 0) {
      ++stats.receive_calls;
    }
    const auto now = clock->monotonic_now();
    for (std::size_t i = 0; i < static_cast<std::size_t>(received); ++i) {
      ++stats.received_messages;
      if (rx.truncated(i)) {
        ++stats.received_datagrams;
        core.note_oversize();
        continue;
      }
      const auto source = detail::from_socket_address(rx.source(i));
      if (!source.has_value()) {
        continue;
      }
      // Every segment of a GRO message comes from the same source (the kernel coalesces one flow), but each
      // is decided on its own: counters, rate limits and control messages stay per datagram.
      detail::for_each_segment(rx.payload(i), gro ? rx.segment_size(i) : 0,
                               [&](std::span<std::uint8_t> datagram) { handle(*source, i, datagram, now); });
    }
    flush();
    return static_cast<std::size_t>(received);
  }
};

base::Result<RelayServer, base::SysError> RelayServer::create(const RelayEndpoint& listen, RelayCore core,
                                                              const base::Clock& clock, UdpOffload offload) {
  RUSTYNET_ASSIGN_OR_RETURN(UdpSocket socket, UdpSocket::bind(listen));
  socket.set_buffer_sizes(8 << 20);
  RUSTYNET_ASSIGN_OR_RETURN(RelayEndpoint local, socket.local_endpoint());
  const bool gro = offload.gro && detail::enable_gro(socket.fd());
  const bool gso = offload.gso && detail::gso_supported(socket.fd());
  // With GRO one message may carry a run of datagrams up to the UDP length limit; without it a buffer one
  // byte larger than the limit would do, and the kernel flags larger datagrams as truncated.
  const std::size_t capacity = gro ? detail::kMaxUdpPayload : core.limits().max_datagram_bytes;
  auto impl = std::make_unique<Impl>(std::move(socket), std::move(core), clock, capacity);
  impl->local = local;
  impl->gro = gro;
  impl->tx.set_gso(gso);
  impl->stats.gro_enabled = gro;
  impl->last_expiry = clock.monotonic_now();
  return RelayServer(std::move(impl));
}

RelayServer::RelayServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RelayServer::RelayServer(RelayServer&&) noexcept = default;
RelayServer& RelayServer::operator=(RelayServer&&) noexcept = default;
RelayServer::~RelayServer() = default;

RelayEndpoint RelayServer::local_endpoint() const { return impl_->local; }
RelayCore& RelayServer::core() noexcept { return impl_->core; }
const RelayCore& RelayServer::core() const noexcept { return impl_->core; }

UdpIoStats RelayServer::io_stats() const noexcept {
  UdpIoStats stats = impl_->stats;
  const auto& sent = impl_->tx.stats();
  stats.gso_enabled = impl_->tx.gso();
  stats.sent_messages = sent.messages;
  stats.gso_messages = sent.gso_messages;
  stats.gso_fallbacks = sent.gso_fallbacks;
  return stats;
}

base::Result<std::size_t, base::SysError> RelayServer::poll_once(std::chrono::milliseconds timeout,
                                                                 std::size_t max_batches) {
  pollfd pfd{impl_->socket.fd(), POLLIN, 0};
  const int ready = ::poll(&pfd, 1, static_cast<int>(timeout.count()));
  if (ready < 0 && errno != EINTR) {
    return base::unexpected(base::last_sys_error("poll"));
  }
  std::size_t total = 0;
  if (ready > 0) {
    const std::uint64_t before = impl_->stats.received_datagrams;
    for (std::size_t b = 0; b < max_batches; ++b) {
      RUSTYNET_ASSIGN_OR_RETURN(std::size_t messages, impl_->batch());
      if (messages < kBatchSize) {
        break;
      }
    }
    total = static_cast<std::size_t>(impl_->stats.received_datagrams - before);
  }
  const auto now = impl_->clock->monotonic_now();
  if (now - impl_->last_expiry >= std::chrono::seconds(1)) {
    impl_->core.expire(now);
    impl_->last_expiry = now;
  }
  return total;
}

base::Status<base::SysError> RelayServer::run(const std::atomic<bool>& stop) {
  while (!stop.load(std::memory_order_relaxed)) {
    RUSTYNET_ASSIGN_OR_RETURN(std::size_t received, poll_once(std::chrono::milliseconds(200)));
    (void)received;
  }
  return {};
}

}  // namespace rustynet::relay
