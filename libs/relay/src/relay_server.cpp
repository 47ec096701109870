// SPDX-License-Identifier: Apache-2.0
// RelayServer: batched UDP receive, RelayCore decisions, batched send from the receive buffers.
#include "rustynet/relay/relay_server.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <vector>

#include "rustynet/relay/protocol.hpp"
#include "rustynet/relay/udp_socket.hpp"
#include "socket_address.hpp"

namespace rustynet::relay {

struct RelayServer::Impl {
  Impl(UdpSocket s, RelayCore c, const base::Clock& k) : socket(std::move(s)), core(std::move(c)), clock(&k) {}

  UdpSocket socket;
  RelayCore core;
  const base::Clock* clock;
  RelayEndpoint local;
  std::size_t datagram_capacity = 0;
  std::vector<std::uint8_t> rx_buffers;  // kBatchSize * datagram_capacity
  std::array<std::array<std::uint8_t, kMaxReplySize>, kBatchSize> replies{};
  std::array<detail::SocketAddress, kBatchSize> sources{};
  std::array<iovec, kBatchSize> rx_iov{};
  std::array<mmsghdr, kBatchSize> rx_msgs{};
  std::array<detail::SocketAddress, kBatchSize> destinations{};
  std::array<iovec, kBatchSize> tx_iov{};
  std::array<mmsghdr, kBatchSize> tx_msgs{};
  base::MonotonicTime last_expiry{};

  std::uint8_t* rx_slot(std::size_t i) { return rx_buffers.data() + i * datagram_capacity; }

  void prepare_receive() {
    for (std::size_t i = 0; i < kBatchSize; ++i) {
      rx_iov[i] = iovec{rx_slot(i), datagram_capacity};
      rx_msgs[i] = mmsghdr{};
      rx_msgs[i].msg_hdr.msg_name = &sources[i];
      rx_msgs[i].msg_hdr.msg_namelen = sizeof(detail::SocketAddress);
      rx_msgs[i].msg_hdr.msg_iov = &rx_iov[i];
      rx_msgs[i].msg_hdr.msg_iovlen = 1;
    }
  }

  void flush(std::size_t count) {
    std::size_t offset = 0;
    while (offset < count) {
      const int sent = ::sendmmsg(socket.fd(), &tx_msgs[offset], static_cast<unsigned>(count - offset), 0);
      if (sent < 0) {
        if (errno == EINTR) {
          continue;
        }
        // The first message failed (unreachable destination, full buffer): drop it, send the rest.
        core.note_send_error();
        ++offset;
        continue;
      }
      offset += static_cast<std::size_t>(sent);
    }
  }

  // Receives one batch; returns how many datagrams arrived (0 when the socket is drained).
  base::Result<std::size_t, base::SysError> batch() {
    prepare_receive();
    const int received = ::recvmmsg(socket.fd(), rx_msgs.data(), kBatchSize, MSG_DONTWAIT, nullptr);
    if (received < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
        return std::size_t{0};
      }
      return base::unexpected(base::last_sys_error("recvmmsg"));
    }
    const auto now = clock->monotonic_now();
    std::size_t out = 0;
    for (std::size_t i = 0; i < static_cast<std::size_t>(received); ++i) {
      const msghdr& header = rx_msgs[i].msg_hdr;
      if ((header.msg_flags & MSG_TRUNC) != 0) {
        core.note_oversize();
        continue;
      }
      const auto source = detail::from_socket_address(sources[i]);
      if (!source.has_value()) {
        continue;
      }
      const std::span<const std::uint8_t> datagram(rx_slot(i), rx_msgs[i].msg_len);
      const Decision decision = core.handle(*source, datagram, replies[i], now);
      if (decision.action == Action::kDrop) {
        continue;
      }
      socklen_t length = 0;
      if (decision.action == Action::kForward) {
        length = detail::to_socket_address(decision.destination, destinations[out]);
        tx_iov[out] = iovec{rx_slot(i), datagram.size()};
      } else {
        destinations[out] = sources[i];
        length = header.msg_namelen;
        tx_iov[out] = iovec{replies[i].data(), decision.reply_size};
      }
      tx_msgs[out] = mmsghdr{};
      tx_msgs[out].msg_hdr.msg_name = &destinations[out];
      tx_msgs[out].msg_hdr.msg_namelen = length;
      tx_msgs[out].msg_hdr.msg_iov = &tx_iov[out];
      tx_msgs[out].msg_hdr.msg_iovlen = 1;
      ++out;
    }
    flush(out);
    return static_cast<std::size_t>(received);
  }
};

base::Result<RelayServer, base::SysError> RelayServer::create(const RelayEndpoint& listen, RelayCore core,
                                                              const base::Clock& clock) {
  RUSTYNET_ASSIGN_OR_RETURN(UdpSocket socket, UdpSocket::bind(listen));
  socket.set_buffer_sizes(8 << 20);
  RUSTYNET_ASSIGN_OR_RETURN(RelayEndpoint local, socket.local_endpoint());
  auto impl = std::make_unique<Impl>(std::move(socket), std::move(core), clock);
  impl->local = local;
  impl->datagram_capacity = impl->core.limits().max_datagram_bytes;
  impl->rx_buffers.assign(kBatchSize * impl->datagram_capacity, 0);
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

base::Result<std::size_t, base::SysError> RelayServer::poll_once(std::chrono::milliseconds timeout,
                                                                 std::size_t max_batches) {
  pollfd pfd{impl_->socket.fd(), POLLIN, 0};
  const int ready = ::poll(&pfd, 1, static_cast<int>(timeout.count()));
  if (ready < 0 && errno != EINTR) {
    return base::unexpected(base::last_sys_error("poll"));
  }
  std::size_t total = 0;
  if (ready > 0) {
    for (std::size_t b = 0; b < max_batches; ++b) {
      RUSTYNET_ASSIGN_OR_RETURN(std::size_t received, impl_->batch());
      total += received;
      if (received < kBatchSize) {
        break;
      }
    }
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
