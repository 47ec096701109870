// SPDX-License-Identifier: Apache-2.0
// RelayLink: hello exchange from the relay-facing socket, then batched forwarding both ways (GRO in, GSO out).
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
// Wide enough for a GRO run (and for any single datagram: nothing is ever cut).
constexpr std::size_t kDatagramCapacity = detail::kMaxUdpPayload + 1;

// One socket of the link: its receive vectors, the send batch for datagrams leaving through it, and stats.
struct Side {
  Side(UdpSocket s, const UdpOffload& offload) : socket(std::move(s)) {
    stats.gro_enabled = offload.gro && detail::enable_gro(socket.fd());
    send.set_gso(offload.gso && detail::gso_supported(socket.fd()));
  }

  [[nodiscard]] std::size_t segment_size(std::size_t i) { return stats.gro_enabled ? receive.segment_size(i) : 0; }

  [[nodiscard]] UdpIoStats io_stats() const {
    UdpIoStats out = stats;
    out.gso_enabled = send.gso();
    out.sent_messages = send.stats().messages;
    out.gso_messages = send.stats().gso_messages;
    out.gso_fallbacks = send.stats().gso_fallbacks;
    return out;
  }

  UdpSocket socket;
  detail::ReceiveBatch receive{kBatch, kDatagramCapacity};
  detail::SendBatch send{kBatch};
  UdpIoStats stats;
};

bool transient(int error) { return error == EAGAIN || error == EWOULDBLOCK || error == EINTR; }

}  // namespace

struct RelayLink::Impl {
  Impl(UdpSocket up, UdpSocket down, const Options& o, const base::Clock& c)
      : upstream(std::move(up), o.offload), local(std::move(down), o.offload), options(o), clock(&c) {}

  Side upstream;  // towards the relay; datagrams for the relay leave through upstream.send
  Side local;     // loopback, towards the tunnel; datagrams for the tunnel leave through local.send
  Options options;
  const base::Clock* clock;
  RelayEndpoint local_endpoint;
  detail::SocketAddress relay_address{};
  socklen_t relay_length = 0;
  detail::SocketAddress tunnel_address{};
  socklen_t tunnel_length = 0;
  std::vector<std::uint8_t> keepalive = build_keepalive();
  base::MonotonicTime last_heard{};
  base::MonotonicTime last_keepalive{};
  std::uint64_t up_count = 0;
  std::uint64_t down_count = 0;

  // Tunnel -> relay: everything the tunnel sends to the loopback socket goes to the relay unchanged.
  base::Status<base::SysError> drain_tunnel() {
    for (int round = 0; round < 16; ++round) {
      const int got = local.receive.receive(local.socket.fd());
      if (got < 0) {
        if (transient(errno)) {
          return {};
        }
        return base::unexpected(base::last_sys_error("recvmmsg (tunnel side)"));
      }
      local.stats.receive_calls += got > 0 ? 1 : 0;
      for (std::size_t i = 0; i < static_cast<std::size_t>(got); ++i) {
        ++local.stats.received_messages;
        if (local.receive.truncated(i)) {
          continue;
        }
        detail::for_each_segment(local.receive.payload(i), local.segment_size(i), [&](std::span<std::uint8_t> d) {
          ++local.stats.received_datagrams;
          upstream.send.add(upstream.socket.fd(), d, relay_address, relay_length);
          ++up_count;
        });
      }
      upstream.send.flush(upstream.socket.fd());
      (void)upstream.send.take_failed();  // the tunnel protocol retransmits; nothing to tell anyone here
      if (static_cast<std::size_t>(got) < kBatch) {
        return {};
      }
    }
    return {};
  }

  // Relay -> tunnel: only datagrams from the relay's address; its control messages are consumed here.
  base::Status<base::SysError> drain_relay() {
    const RelayEndpoint relay = options.relay;
    for (int round = 0; round < 16; ++round) {
      const int got = upstream.receive.receive(upstream.socket.fd());
      if (got < 0) {
        if (transient(errno)) {
          return {};
        }
        return base::unexpected(base::last_sys_error("recvmmsg (relay side)"));
      }
      upstream.stats.receive_calls += got > 0 ? 1 : 0;
      bool heard = false;
      for (std::size_t i = 0; i < static_cast<std::size_t>(got); ++i) {
        ++upstream.stats.received_messages;
        const auto source = detail::from_socket_address(upstream.receive.source(i));
        if (!source.has_value() || *source != relay || upstream.receive.truncated(i)) {
          continue;  // only the relay may feed the tunnel
        }
        heard = true;
        detail::for_each_segment(upstream.receive.payload(i), upstream.segment_size(i), [&](std::span<std::uint8_t> d) {
          ++upstream.stats.received_datagrams;
          if (is_control_message(d)) {
            return;  // keepalive acks: last_heard is all we need
          }
          local.send.add(local.socket.fd(), d, tunnel_address, tunnel_length);
          ++down_count;
        });
      }
      if (heard) {
        last_heard = clock->monotonic_now();
      }
      local.send.flush(local.socket.fd());
      (void)local.send.take_failed();
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
UdpIoStats RelayLink::relay_side_stats() const { return impl_->upstream.io_stats(); }
UdpIoStats RelayLink::tunnel_side_stats() const { return impl_->local.io_stats(); }

base::Result<ServerMessage, std::string> RelayLink::allocate(std::span<const std::uint8_t> ticket, int attempts,
                                                             std::chrono::milliseconds per_try) {
  Cookie cookie{};
  std::array<std::uint8_t, 512> buffer{};
  for (int attempt = 0; attempt < attempts; ++attempt) {
    RUSTYNET_ASSIGN_OR_RETURN(std::vector<std::uint8_t> hello, build_hello(ticket, cookie));
    if (auto sent = impl_->upstream.socket.send_to(impl_->options.relay, hello); !sent.has_value()) {
      return base::unexpected(sent.error().describe());
    }
    const auto deadline = impl_->clock->monotonic_now() + per_try;
    while (impl_->clock->monotonic_now() < deadline) {
      auto got = impl_->upstream.socket.receive(buffer, per_try);
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
  std::array<pollfd, 2> fds{{{s.upstream.socket.fd(), POLLIN, 0}, {s.local.socket.fd(), POLLIN, 0}}};
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
    (void)s.upstream.socket.send_to(s.options.relay, s.keepalive);
    s.last_keepalive = now;
  }
  return now - s.last_heard < s.options.dead_after;
}

}  // namespace rustynet::relay
