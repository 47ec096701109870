// SPDX-License-Identifier: Apache-2.0
// FlowSpace: the (protocol, destination port) set a policy allows between two fixed endpoints.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "rustynet/policy/access_request.hpp"
#include "rustynet/policy/ip_prefix.hpp"

namespace rustynet::policy {

// Inclusive destination-port interval; first <= last.
struct PortInterval {
  std::uint16_t first = 0;
  std::uint16_t last = 65535;
  // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 false positive on a defaulted <=>
  friend auto operator<=>(const PortInterval&, const PortInterval&) = default;
};

inline constexpr PortInterval kAllPorts{0, 65535};

// Everything a policy lets one endpoint start towards another, as a value a packet filter can
// install. `tcp` and `udp` are canonical: sorted, pairwise disjoint and never adjacent (touching
// intervals are merged), so two spaces that allow the same flows compare equal. ICMP and other
// protocols have no ports, so they are all-or-nothing.
struct FlowSpace {
  std::vector<PortInterval> tcp;
  std::vector<PortInterval> udp;
  bool icmp = false;
  bool other = false;  // IP protocols other than tcp/udp/icmp; only "protocol": "any" rules reach them

  // True when no flow at all is allowed.
  [[nodiscard]] bool empty() const noexcept;
  // Whether a flow of `protocol` to `port` is allowed; `port` is ignored for kIcmp and kOther.
  // O(log intervals).
  [[nodiscard]] bool allows(IpProtocol protocol, std::uint16_t port) const noexcept;

  friend bool operator==(const FlowSpace&, const FlowSpace&) = default;
};

// One end of a flow as evaluate() sees it: an authenticated node id (empty: none) and an address
// (absent: matches no prefix selector). The same meaning as the fields of AccessRequest.
struct FlowEndpoint {
  std::string node;
  std::optional<IpAddress> ip;
  friend bool operator==(const FlowEndpoint&, const FlowEndpoint&) = default;
};

// "tcp 22,8000-8080; udp 53; icmp; other", or "none". For logs and test diagnostics.
[[nodiscard]] std::string to_string(const FlowSpace& space);

}  // namespace rustynet::policy
