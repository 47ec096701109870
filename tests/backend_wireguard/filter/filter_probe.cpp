// SPDX-License-Identifier: Apache-2.0
// Socket probes for the packet-filter netns tests.
#include "filter_probe.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <thread>

namespace rustynet::backend_wireguard::testing {
namespace {

struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;

  // The sockets API takes sockaddr*; sockaddr_in/sockaddr_in6 are layout-compatible by design.
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast)
  [[nodiscard]] const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast)
  sockaddr* get() { return reinterpret_cast<sockaddr*>(&storage); }
};

std::optional<SocketAddress> make_address(const std::string& text, std::uint16_t port) {
  SocketAddress out;
  sockaddr_in v4{};
  if (::inet_pton(AF_INET, text.c_str(), &v4.sin_addr) == 1) {
    v4.sin_family = AF_INET;
    v4.sin_port = htons(port);
    std::copy_n(static_cast<const unsigned char*>(static_cast<const void*>(&v4)), sizeof(v4),
                static_cast<unsigned char*>(static_cast<void*>(&out.storage)));
    out.length = sizeof(v4);
    return out;
  }
  sockaddr_in6 v6{};
  if (::inet_pton(AF_INET6, text.c_str(), &v6.sin6_addr) == 1) {
    v6.sin6_family = AF_INET6;
    v6.sin6_port = htons(port);
    std::copy_n(static_cast<const unsigned char*>(static_cast<const void*>(&v6)), sizeof(v6),
                static_cast<unsigned char*>(static_cast<void*>(&out.storage)));
    out.length = sizeof(v6);
    return out;
  }
  return std::nullopt;
}

std::uint16_t port_of(const sockaddr_storage& storage) {
  if (storage.ss_family == AF_INET) {
    sockaddr_in v4{};
    std::copy_n(static_cast<const unsigned char*>(static_cast<const void*>(&storage)), sizeof(v4),
                static_cast<unsigned char*>(static_cast<void*>(&v4)));
    return ntohs(v4.sin_port);
  }
  sockaddr_in6 v6{};
  std::copy_n(static_cast<const unsigned char*>(static_cast<const void*>(&storage)), sizeof(v6),
              static_cast<unsigned char*>(static_cast<void*>(&v6)));
  return ntohs(v6.sin6_port);
}

int family_of(const std::string& address) { return address.find(':') == std::string::npos ? AF_INET : AF_INET6; }

bool wait_for(int fd, short events, milliseconds timeout) {
  pollfd polled{.fd = fd, .events = events, .revents = 0};
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    const auto remaining = std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
    if (remaining.count() < 0) {
      return false;
    }
    const int ready = ::poll(&polled, 1, static_cast<int>(remaining.count()));
    if (ready < 0 && errno == EINTR) {
      continue;
    }
    return ready > 0;
  }
}

base::UniqueFd bound_socket(const std::string& netns_path, const std::string& address, std::uint16_t port, int type) {
  auto local = make_address(address, port);
  if (!local.has_value()) {
    return {};
  }
  base::UniqueFd fd = socket_in_netns(netns_path, family_of(address), type);
  const int one = 1;
  if (!fd.valid() || ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
      ::bind(fd.get(), local->get(), local->length) != 0) {
    return {};
  }
  return fd;
}

}  // namespace

base::UniqueFd socket_in_netns(const std::string& netns_path, int domain, int type) {
  base::UniqueFd result;
  std::thread worker([&] {
    const base::UniqueFd netns(::open(netns_path.c_str(), O_RDONLY | O_CLOEXEC));
    if (netns.valid() && ::setns(netns.get(), CLONE_NEWNET) == 0) {
      result.reset(::socket(domain, type | SOCK_CLOEXEC, 0));
    }
  });
  worker.join();
  return result;
}

base::UniqueFd tcp_listen(const std::string& netns_path, const std::string& address, std::uint16_t port) {
  base::UniqueFd fd = bound_socket(netns_path, address, port, SOCK_STREAM);
  if (!fd.valid() || ::listen(fd.get(), 16) != 0) {
    return {};
  }
  return fd;
}

Connection tcp_connect(const std::string& netns_path, const std::string& address, std::uint16_t port,
                       milliseconds timeout, std::uint16_t source_port) {
  Connection result;
  auto remote = make_address(address, port);
  if (!remote.has_value()) {
    return result;
  }
  base::UniqueFd fd = socket_in_netns(netns_path, family_of(address), SOCK_STREAM | SOCK_NONBLOCK);
  if (!fd.valid()) {
    return result;
  }
  if (source_port != 0) {
    auto local = make_address(family_of(address) == AF_INET ? "0.0.0.0" : "::", source_port);
    const int one = 1;
    if (::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        ::bind(fd.get(), local->get(), local->length) != 0) {
      return result;
    }
  }
  if (::connect(fd.get(), remote->get(), remote->length) != 0 && errno != EINPROGRESS) {
    result.outcome = ConnectOutcome::kRefused;
    return result;
  }
  if (!wait_for(fd.get(), POLLOUT, timeout)) {
    result.outcome = ConnectOutcome::kTimedOut;
    return result;
  }
  int error = 0;
  socklen_t length = sizeof(error);
  if (::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &error, &length) != 0) {
    return result;
  }
  if (error != 0) {
    result.outcome = ConnectOutcome::kRefused;
    return result;
  }
  const int flags = ::fcntl(fd.get(), F_GETFL);
  if (flags < 0 || ::fcntl(fd.get(), F_SETFL, flags & ~O_NONBLOCK) != 0) {
    return result;
  }
  result.outcome = ConnectOutcome::kConnected;
  result.fd = std::move(fd);
  return result;
}

base::UniqueFd accept_within(int listener, milliseconds timeout) {
  if (!wait_for(listener, POLLIN, timeout)) {
    return {};
  }
  return base::UniqueFd(::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC));
}

base::UniqueFd udp_bind(const std::string& netns_path, const std::string& address, std::uint16_t port) {
  return bound_socket(netns_path, address, port, SOCK_DGRAM);
}

bool send_text(int fd, const std::string& text) {
  return ::send(fd, text.data(), text.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(text.size());
}

bool udp_send_to(int fd, const std::string& address, std::uint16_t port, const std::string& text) {
  auto remote = make_address(address, port);
  return remote.has_value() && ::sendto(fd, text.data(), text.size(), MSG_NOSIGNAL, remote->get(), remote->length) ==
                                   static_cast<ssize_t>(text.size());
}

std::optional<std::string> receive_within(int fd, milliseconds timeout) {
  if (!wait_for(fd, POLLIN, timeout)) {
    return std::nullopt;
  }
  std::array<char, 2048> buffer{};
  const ssize_t got = ::recv(fd, buffer.data(), buffer.size(), MSG_DONTWAIT);
  if (got <= 0) {
    return std::nullopt;
  }
  return std::string(buffer.data(), static_cast<std::size_t>(got));
}

std::optional<Datagram> receive_datagram_within(int fd, milliseconds timeout) {
  if (!wait_for(fd, POLLIN, timeout)) {
    return std::nullopt;
  }
  std::array<char, 2048> buffer{};
  SocketAddress from;
  from.length = sizeof(from.storage);
  const ssize_t got = ::recvfrom(fd, buffer.data(), buffer.size(), MSG_DONTWAIT, from.get(), &from.length);
  if (got < 0) {
    return std::nullopt;
  }
  return Datagram{std::string(buffer.data(), static_cast<std::size_t>(got)), port_of(from.storage)};
}

bool tcp_exchange(const std::string& from_netns, const std::string& to_netns, const std::string& address,
                  std::uint16_t port, milliseconds timeout) {
  const base::UniqueFd listener = tcp_listen(to_netns, address, port);
  if (!listener.valid()) {
    ADD_FAILURE() << "cannot listen on " << address << ":" << port;
    return false;
  }
  const Connection client = tcp_connect(from_netns, address, port, timeout);
  if (client.outcome != ConnectOutcome::kConnected) {
    return false;
  }
  const base::UniqueFd server = accept_within(listener.get(), timeout);
  return server.valid() && send_text(client.fd.get(), "ping") &&
         receive_within(server.get(), timeout) == std::optional<std::string>("ping") &&
         send_text(server.get(), "pong") &&
         receive_within(client.fd.get(), timeout) == std::optional<std::string>("pong");
}

bool tcp_syn_dropped(const std::string& from_netns, const std::string& to_netns, const std::string& address,
                     std::uint16_t port, milliseconds timeout) {
  const base::UniqueFd listener = tcp_listen(to_netns, address, port);
  if (!listener.valid()) {
    ADD_FAILURE() << "cannot listen on " << address << ":" << port;
    return false;
  }
  return tcp_connect(from_netns, address, port, timeout).outcome == ConnectOutcome::kTimedOut;
}

bool udp_delivered(const std::string& from_netns, const std::string& from_address, const std::string& to_netns,
                   const std::string& address, std::uint16_t port, milliseconds timeout) {
  const base::UniqueFd receiver = udp_bind(to_netns, address, port);
  const base::UniqueFd sender = udp_bind(from_netns, from_address, 0);
  if (!receiver.valid() || !sender.valid() || !udp_send_to(sender.get(), address, port, "datagram")) {
    ADD_FAILURE() << "cannot set up the udp probe to " << address << ":" << port;
    return false;
  }
  return receive_within(receiver.get(), timeout) == std::optional<std::string>("datagram");
}

}  // namespace rustynet::backend_wireguard::testing
