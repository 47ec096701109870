// SPDX-License-Identifier: Apache-2.0
// SocketEndpoint parsing ("a.b.c.d:port", "[v6]:port") and canonical formatting.
#include "rustynet/backend_api/socket_endpoint.hpp"

#include <ostream>
#include <utility>

#include "text_parse.hpp"

namespace rustynet::backend_api {

BackendResult<SocketEndpoint> SocketEndpoint::parse(std::string_view text) {
  std::string_view host;
  std::string_view port_text;
  const bool bracketed = !text.empty() && text.front() == '[';
  if (bracketed) {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return fail(BackendError::invalid_input("endpoint must be '[IPv6]:port'"));
    }
    host = text.substr(1, close - 1);
    port_text = text.substr(close + 2);
  } else {
    const auto colon = text.find(':');
    if (colon == std::string_view::npos || text.find(':', colon + 1) != std::string_view::npos) {
      return fail(BackendError::invalid_input("endpoint must be 'IPv4:port' or '[IPv6]:port'"));
    }
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
  }
  auto parsed = IpAddress::parse(host);
  if (!parsed.has_value()) {
    return fail(std::move(parsed).error());
  }
  const IpAddress address = *parsed;
  if (bracketed != address.is_v6()) {
    return fail(BackendError::invalid_input("IPv6 endpoints must be bracketed, IPv4 endpoints must not"));
  }
  const auto port = detail::parse_decimal(port_text, 65535);
  if (!port.has_value()) {
    return fail(BackendError::invalid_input("endpoint port is not a decimal in 1..65535"));
  }
  return create(address, static_cast<std::uint16_t>(*port));
}

BackendResult<SocketEndpoint> SocketEndpoint::create(const IpAddress& address, std::uint16_t port) {
  if (port == 0) {
    return fail(BackendError::invalid_input("endpoint port 0 is not a destination"));
  }
  if (address.is_unspecified()) {
    return fail(BackendError::invalid_input("endpoint address is the unspecified address"));
  }
  return SocketEndpoint(address, port);
}

std::string SocketEndpoint::to_string() const {
  // Appended piecewise: `"[" + std::string&&` trips a GCC 12 -Wrestrict false positive at -O3.
  std::string out;
  if (address_.is_v6()) {
    out.push_back('[');
    out.append(address_.to_string());
    out.push_back(']');
  } else {
    out.append(address_.to_string());
  }
  out.push_back(':');
  out.append(std::to_string(port_));
  return out;
}

std::ostream& operator<<(std::ostream& out, const SocketEndpoint& endpoint) { return out << endpoint.to_string(); }

}  // namespace rustynet::backend_api
