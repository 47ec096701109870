// SPDX-License-Identifier: Apache-2.0
// UdpSocket on POSIX sockets; the batched server path is in relay_server.cpp.
#include "rustynet/relay/udp_socket.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

#include "socket_address.hpp"

namespace rustynet::relay {

base::Result<UdpSocket, base::SysError> UdpSocket::bind(const RelayEndpoint& local) {
  const int family = local.family == AddressFamily::kIpv4 ? AF_INET : AF_INET6;
  base::UniqueFd fd(::socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) {
    return base::unexpected(base::last_sys_error("socket"));
  }
  detail::SocketAddress address{};
  const socklen_t length = detail::to_socket_address(local, address);
  if (::bind(fd.get(), &address.generic, length) != 0) {
    return base::unexpected(base::last_sys_error("bind " + local.to_string()));
  }
  return UdpSocket(std::move(fd));
}

base::Result<RelayEndpoint, base::SysError> UdpSocket::local_endpoint() const {
  detail::SocketAddress address{};
  socklen_t length = sizeof(address);
  if (::getsockname(fd_.get(), &address.generic, &length) != 0) {
    return base::unexpected(base::last_sys_error("getsockname"));
  }
  const auto endpoint = detail::from_socket_address(address);
  if (!endpoint.has_value()) {
    return base::unexpected(base::SysError{"getsockname: unexpected address family", EAFNOSUPPORT});
  }
  return *endpoint;
}

base::Status<base::SysError> UdpSocket::send_to(const RelayEndpoint& destination,
                                                std::span<const std::uint8_t> datagram) const {
  detail::SocketAddress address{};
  const socklen_t length = detail::to_socket_address(destination, address);
  const ssize_t sent = ::sendto(fd_.get(), datagram.data(), datagram.size(), 0, &address.generic, length);
  if (sent < 0) {
    return base::unexpected(base::last_sys_error("sendto " + destination.to_string()));
  }
  return {};
}

base::Result<std::optional<Received>, base::SysError> UdpSocket::receive(std::span<std::uint8_t> buffer,
                                                                         std::chrono::milliseconds timeout) const {
  pollfd pfd{fd_.get(), POLLIN, 0};
  const int ready = ::poll(&pfd, 1, static_cast<int>(timeout.count()));
  if (ready < 0) {
    if (errno == EINTR) {
      return std::optional<Received>{};
    }
    return base::unexpected(base::last_sys_error("poll"));
  }
  if (ready == 0) {
    return std::optional<Received>{};
  }
  detail::SocketAddress address{};
  socklen_t length = sizeof(address);
  const ssize_t got = ::recvfrom(fd_.get(), buffer.data(), buffer.size(), MSG_TRUNC, &address.generic, &length);
  if (got < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
      return std::optional<Received>{};
    }
    return base::unexpected(base::last_sys_error("recvfrom"));
  }
  const auto source = detail::from_socket_address(address);
  if (!source.has_value()) {
    return std::optional<Received>{};
  }
  const auto size = static_cast<std::size_t>(got);
  return std::optional<Received>{Received{std::min(size, buffer.size()), *source, size > buffer.size()}};
}

void UdpSocket::set_buffer_sizes(int bytes) const noexcept {
  // Best effort: the kernel caps these at net.core.{r,w}mem_max; failure only costs throughput.
  (void)::setsockopt(fd_.get(), SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes));
  (void)::setsockopt(fd_.get(), SOL_SOCKET, SO_SNDBUF, &bytes, sizeof(bytes));
}

}  // namespace rustynet::relay
