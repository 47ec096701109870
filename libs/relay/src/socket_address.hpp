// SPDX-License-Identifier: Apache-2.0
// SocketAddress: the sockets API's address storage as a union, converted to and from RelayEndpoint.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <optional>

#include "rustynet/relay/endpoint.hpp"

namespace rustynet::relay::detail {

// The union gives the kernel's sockaddr* views without pointer casts: every member starts with the
// address family (the sockets API's common initial sequence).
union SocketAddress {
  sockaddr generic;
  sockaddr_in v4;
  sockaddr_in6 v6;
  sockaddr_storage storage;
};

// Fills `out` for `endpoint`; returns the length to pass to the kernel.
socklen_t to_socket_address(const RelayEndpoint& endpoint, SocketAddress& out) noexcept;
// Empty for families other than AF_INET/AF_INET6.
[[nodiscard]] std::optional<RelayEndpoint> from_socket_address(const SocketAddress& address) noexcept;

}  // namespace rustynet::relay::detail
