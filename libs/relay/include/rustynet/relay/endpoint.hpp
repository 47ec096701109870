// SPDX-License-Identifier: Apache-2.0
// RelayEndpoint: an IPv4/IPv6 address and UDP port as a hashable value type (no sockaddr exposed).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "rustynet/base/result.hpp"

namespace rustynet::relay {

enum class AddressFamily : std::uint8_t { kIpv4 = 4, kIpv6 = 6 };

struct RelayEndpoint {
  AddressFamily family = AddressFamily::kIpv4;
  // IPv4 uses the first 4 bytes; the rest stay zero so that comparison and hashing are exact.
  std::array<std::uint8_t, 16> address{};
  std::uint16_t port = 0;  // host byte order

  friend bool operator==(const RelayEndpoint&, const RelayEndpoint&) = default;

  // "a.b.c.d:port" or "[v6]:port".
  [[nodiscard]] std::string to_string() const;
  // Parses the forms to_string() produces. Errors: a description of what is wrong.
  [[nodiscard]] static base::Result<RelayEndpoint, std::string> parse(std::string_view text);
};

struct RelayEndpointHash {
  [[nodiscard]] std::size_t operator()(const RelayEndpoint& endpoint) const noexcept;
};

}  // namespace rustynet::relay
