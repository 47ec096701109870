// SPDX-License-Identifier: Apache-2.0
// RelayLink: hello exchange from the relay-facing socket, then batched forwarding both ways.
#include "rustynet/relay/relay_link.hpp"

#include <poll.h>

#include <array>
#include <cerrno>

#include "batch_io.hpp"
#include "rustynet/relay/udp_socket.hpp"
#include "socket_address.hpp"

namespace rustynet::relay {
namespace {

constexpr std::size_t kBatch = 64;
constexpr std::size_t kDatagramCapacity = 65'536;

}  // namespace

struct RelayLink::Impl {
  Impl(UdpSocket up, UdpSocket down, const Options& o, const base::Clock& c)
      : upstream(std::move(up)), local(std::move(down)), options(o), clock(&c) {}

  UdpSocket upstream;
  UdpSocket local;
  Options options;
  const base::Clock* clock;
  RelayEndpoint local_endpoint;
  detail::SocketAddress relay_address{};
  socklen_t relay_length = 0;
  detail::SocketAddress tunnel_address{};
  socklen_t tunnel_length = 0;
  detail::DatagramBatch<kBatch> from_tunnel{kDatagramCapacity};
  detail::DatagramBatch<kBatch> from_relay{kDatagramCapacity};
  detail::SendBatch<kBatch> to_relay;
  detail::SendBatch<kBatch> to_tunnel;
  std::vector<std::uint8_t> keepalive = build_keepalive();
  base::MonotonicTime last_heard{};
  base::MonotonicTime last_keepalive{};
  std::uint64_t up_count = 0;
  std::uint64_t down_count = 0;

  base::Status<base::SysError> drain_tunnel() {
    for (int round = 0; round < 16; ++round) {
      const int got = from_tunnel.receive(local.fd());
      if (got < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
          return {};
        }
        return base::unexpected(base::last_sys_error("recvmmsg (tunnel side)"));
      }
      for (std::size_t i = 0; i < static_cast<std::size_t>(got); ++i) {
        if (!from_tunnel.truncated(i)) {
          to_relay.add(from_tunnel.datagram(i), relay_address, relay_length);
          ++up_count;
        }
      }
      (void)to_relay.flush(upstream.fd());
      if (static_cast<std::size_t>(got) < kBatch) {
        return {};
      }
    }
    return {};
  }

  base::Status<base::SysError> drain_relay() {
    const RelayEndpoint relay = options.relay;
    for (int round = 0; round < 16; ++round) {
      const int got = from_relay.receive(upstream.fd());
      if (got < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
          return {};
        }
        return base::unexpected(base::last_sys_error("recvmmsg (relay side)"));
      }
      for (std::size_t i = 0; i < static_cast<std::size_t>(got); ++i) {
        const auto source = detail::from_socket_address(from_relay.source(i));
        if (!source.has_value() || *source != relay || from_relay.truncated(i)) {
          continue;  // only the relay may feed the tunnel
        }
        last_heard = clock->monotonic_now();
        const auto datagram = from_relay.datagram(i);
        if (is_control_message(datagram)) {
          continue;  // keepalive acks: last_heard is all we need
        }
        to_tunnel.add(datagram, tunnel_address, tunnel_length);
        ++down_count;
      }
      (void)to_tunnel.flush(local.fd());
      if (static_cast<std::size_t>(got) < kBatch) {
        return {};
      }
    }
    return {};
  }
};

base::Result<RelayLink, base::SysError> RelayLink::create(const Options& options, const base::Clock& clock) {
  RUSTYNET_ASSIGN_OR_RETURN(UdpSocket upstream, UdpSocket::bind(options.upstream_bind));
  RUSTYNET_ASSIGN_OR_RETURN(UdpSocket local, UdpSocket::bind(options.local_listen));
  upstream.set_buffer_sizes(4 << 20);
  local.set_buffer_sizes(4 << 20);
  RUSTYNET_ASSIGN_OR_RETURN(RelayEndpoint local_endpoint, local.local_endpoint());
  auto impl = std::make_unique<Impl>(std::move(upstream), std::move(local), options, clock);
  impl->local_endpoint = local_endpoint;
  impl->relay_length = detail::to_socket_address(options.relay, impl->relay_address);
  impl->tunnel_length = detail::to_socket_address(options.tunnel, impl->tunnel_address);
  impl->last_heard = clock.monotonic_now();
  impl->last_keepalive = impl->last_heard;
  return RelayLink(std::move(impl));
}

RelayLink::RelayLink(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RelayLink::RelayLink(RelayLink&&) noexcept = default;
RelayLink& RelayLink::operator=(RelayLink&&) noexcept = default;
RelayLink::~RelayLink() = default;

RelayEndpoint RelayLink::local_endpoint() const { return impl_->local_endpoint; }
std::uint64_t RelayLink::forwarded_to_relay() const noexcept { return impl_->up_count; }
std::uint64_t RelayLink::forwarded_to_tunnel() const noexcept { return impl_->down_count; }

base::Result<ServerMessage, std::string> RelayLink::allocate(std::span<const std::uint8_t> ticket, int attempts,
                                                             std::chrono::milliseconds per_try) {
  Cookie cookie{};
  std::array<std::uint8_t, 512> buffer{};
  for (int attempt = 0; attempt < attempts; ++attempt) {
    RUSTYNET_ASSIGN_OR_RETURN(std::vector<std::uint8_t> hello, build_hello(ticket, cookie));
    if (auto sent = impl_->upstream.send_to(impl_->options.relay, hello); !sent.has_value()) {
      return base::unexpected(sent.error().describe());
    }
    const auto deadline = impl_->clock->monotonic_now() + per_try;
    while (impl_->clock->monotonic_now() < deadline) {
      auto got = impl_->upstream.receive(buffer, per_try);
      if (!got.has_value()) {
        return base::unexpected(got.error().describe());
      }
      if (!got->has_value()) {
        break;
      }
      if ((*got)->source != impl_->options.relay) {
        continue;
      }
      auto message = parse_server_message(std::span<const std::uint8_t>(buffer).first((*got)->size));
      if (!message.has_value()) {
        continue;  // a late tunnel datagram from a previous allocation, or noise
      }
      if (message->type == MessageType::kCookie) {
        cookie = message->cookie;
        break;
      }
      if (message->type == MessageType::kAccept || message->type == MessageType::kReject) {
        impl_->last_heard = impl_->clock->monotonic_now();
        return *message;
      }
    }
  }
  return base::unexpected(std::string("no answer from relay ") + impl_->options.relay.to_string());
}

base::Result<bool, base::SysError> RelayLink::pump(std::chrono::milliseconds timeout) {
  Impl& s = *impl_;
  std::array<pollfd, 2> fds{{{s.upstream.fd(), POLLIN, 0}, {s.local.fd(), POLLIN, 0}}};
  const int ready = ::poll(fds.data(), fds.size(), static_cast<int>(timeout.count()));
  if (ready < 0 && errno != EINTR) {
    return base::unexpected(base::last_sys_error("poll"));
  }
  if (ready > 0) {
    if ((fds[1].revents & POLLIN) != 0) {
      RUSTYNET_RETURN_IF_ERROR(s.drain_tunnel());
    }
    if ((fds[0].revents & POLLIN) != 0) {
      RUSTYNET_RETURN_IF_ERROR(s.drain_relay());
    }
  }
  const auto now = s.clock->monotonic_now();
  if (now - s.last_keepalive >= s.options.keepalive_interval) {
    (void)s.upstream.send_to(s.options.relay, s.keepalive);
    s.last_keepalive = now;
  }
  return now - s.last_heard < s.options.dead_after;
}

}  // namespace rustynet::relay
