// SPDX-License-Identifier: Apache-2.0
// RelayEndpoint text form and hashing (inet_pton/inet_ntop do the address syntax).
#include "rustynet/relay/endpoint.hpp"

#include <arpa/inet.h>

#include <charconv>

namespace rustynet::relay {

std::string RelayEndpoint::to_string() const {
  std::array<char, INET6_ADDRSTRLEN> text{};
  const int af = family == AddressFamily::kIpv4 ? AF_INET : AF_INET6;
  if (inet_ntop(af, address.data(), text.data(), static_cast<socklen_t>(text.size())) == nullptr) {
    return "<invalid>";
  }
  // Built with append(): GCC 12 -O3 reports a -Wrestrict false positive for "[" + s + "]".
  std::string out;
  out.reserve(INET6_ADDRSTRLEN + 8);
  const bool v6 = family == AddressFamily::kIpv6;
  if (v6) {
    out.push_back('[');
  }
  out.append(text.data());
  if (v6) {
    out.push_back(']');
  }
  out.push_back(':');
  out.append(std::to_string(port));
  return out;
}

base::Result<RelayEndpoint, std::string> RelayEndpoint::parse(std::string_view text) {
  RelayEndpoint endpoint;
  std::string host;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return base::unexpected(std::string("expected [ipv6]:port"));
    }
    host = std::string(text.substr(1, close - 1));
    port_text = text.substr(close + 2);
    endpoint.family = AddressFamily::kIpv6;
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      return base::unexpected(std::string("expected ipv4:port"));
    }
    host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
    endpoint.family = AddressFamily::kIpv4;
  }
  const int af = endpoint.family == AddressFamily::kIpv4 ? AF_INET : AF_INET6;
  if (inet_pton(af, host.c_str(), endpoint.address.data()) != 1) {
    return base::unexpected("invalid address '" + host + "'");
  }
  unsigned port = 0;
  const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc{} || end != port_text.data() + port_text.size() || port > 65535) {
    return base::unexpected(std::string("invalid port"));
  }
  endpoint.port = static_cast<std::uint16_t>(port);
  return endpoint;
}

std::size_t RelayEndpointHash::operator()(const RelayEndpoint& endpoint) const noexcept {
  // FNV-1a: bound addresses exist only after a verified ticket, so an attacker cannot choose many
  // keys to collide; no keyed hash is needed here.
  std::uint64_t h = 1469598103934665603ULL;
  const auto mix = [&h](std::uint8_t b) {
    h ^= b;
    h *= 1099511628211ULL;
  };
  mix(static_cast<std::uint8_t>(endpoint.family));
  for (const auto b : endpoint.address) {
    mix(b);
  }
  mix(static_cast<std::uint8_t>(endpoint.port >> 8U));
  mix(static_cast<std::uint8_t>(endpoint.port & 0xFFU));
  return static_cast<std::size_t>(h);
}

}  // namespace rustynet::relay
