// SPDX-License-Identifier: Apache-2.0
// SocketAddress <-> RelayEndpoint conversion (byte order handled here only).
#include "socket_address.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <bit>
#include <iterator>

namespace rustynet::relay::detail {

socklen_t to_socket_address(const RelayEndpoint& endpoint, SocketAddress& out) noexcept {
  out.storage = sockaddr_storage{};
  if (endpoint.family == AddressFamily::kIpv4) {
    out.v4 = sockaddr_in{};
    out.v4.sin_family = AF_INET;
    out.v4.sin_port = htons(endpoint.port);
    std::array<std::uint8_t, 4> bytes{};
    std::copy_n(endpoint.address.begin(), 4, bytes.begin());
    out.v4.sin_addr.s_addr = std::bit_cast<in_addr_t>(bytes);
    return sizeof(sockaddr_in);
  }
  out.v6 = sockaddr_in6{};
  out.v6.sin6_family = AF_INET6;
  out.v6.sin6_port = htons(endpoint.port);
  std::copy(endpoint.address.begin(), endpoint.address.end(), out.v6.sin6_addr.s6_addr);
  return sizeof(sockaddr_in6);
}

std::optional<RelayEndpoint> from_socket_address(const SocketAddress& address) noexcept {
  RelayEndpoint endpoint;
  if (address.generic.sa_family == AF_INET) {
    endpoint.family = AddressFamily::kIpv4;
    const auto bytes = std::bit_cast<std::array<std::uint8_t, 4>>(address.v4.sin_addr.s_addr);
    std::copy(bytes.begin(), bytes.end(), endpoint.address.begin());
    endpoint.port = ntohs(address.v4.sin_port);
    return endpoint;
  }
  if (address.generic.sa_family == AF_INET6) {
    endpoint.family = AddressFamily::kIpv6;
    std::copy(std::begin(address.v6.sin6_addr.s6_addr), std::end(address.v6.sin6_addr.s6_addr),
              endpoint.address.begin());
    endpoint.port = ntohs(address.v6.sin6_port);
    return endpoint;
  }
  return std::nullopt;
}

}  // namespace rustynet::relay::detail
