// SPDX-License-Identifier: Apache-2.0
// SocketEndpoint: a peer's underlay address and port (IPv4 or IPv6), strict parse and format.
#pragma once

#include <compare>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>

#include "rustynet/backend_api/backend_error.hpp"
#include "rustynet/backend_api/ip_address.hpp"

namespace rustynet::backend_api {

// Grammar: IPV4 ":" PORT  or  "[" IPV6 "]" ":" PORT, PORT decimal 1..65535 without leading zeros.
// IPv6 must be bracketed (an unbracketed "::1:80" is ambiguous). The address must not be the
// unspecified address and the port must not be 0: an endpoint is somewhere packets can be sent.
// to_string() is canonical ("192.0.2.1:51820", "[2001:db8::1]:51820").
class SocketEndpoint {
 public:
  [[nodiscard]] static BackendResult<SocketEndpoint> parse(std::string_view text);
  [[nodiscard]] static BackendResult<SocketEndpoint> create(const IpAddress& address, std::uint16_t port);

  [[nodiscard]] const IpAddress& address() const noexcept { return address_; }
  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
  [[nodiscard]] IpFamily family() const noexcept { return address_.family(); }
  [[nodiscard]] std::string to_string() const;

  friend bool operator==(const SocketEndpoint&, const SocketEndpoint&) = default;
  // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 false positive on a defaulted <=>
  friend std::strong_ordering operator<=>(const SocketEndpoint&, const SocketEndpoint&) = default;

 private:
  SocketEndpoint(IpAddress address, std::uint16_t port) : address_(address), port_(port) {}
  IpAddress address_;
  std::uint16_t port_ = 0;
};

std::ostream& operator<<(std::ostream& out, const SocketEndpoint& endpoint);

}  // namespace rustynet::backend_api
