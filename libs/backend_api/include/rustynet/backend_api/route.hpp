// SPDX-License-Identifier: Apache-2.0
// Route + RouteKind: one destination prefix reached through one mesh peer.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string_view>

#include "rustynet/backend_api/ip_prefix.hpp"
#include "rustynet/backend_api/node_id.hpp"

namespace rustynet::backend_api {

// kMesh: a mesh node's own addresses. kLan: a subnet behind `via` (needs supports_lan_routes).
// kExitDefault: the default route through exit node `via` (needs supports_exit_nodes); its
// destination must be 0.0.0.0/0 or ::/0, and only kExitDefault routes may have length 0.
enum class RouteKind : std::uint8_t { kMesh = 1, kLan = 2, kExitDefault = 3 };

[[nodiscard]] std::string_view to_string(RouteKind kind) noexcept;
std::ostream& operator<<(std::ostream& out, RouteKind kind);

struct Route {
  IpPrefix destination;
  NodeId via;
  RouteKind kind = RouteKind::kMesh;

  friend bool operator==(const Route&, const Route&) = default;
};

// Orders routes by destination (the key of a route set: at most one route per destination).
struct RouteDestinationLess {
  bool operator()(const Route& a, const Route& b) const noexcept { return a.destination < b.destination; }
};

std::ostream& operator<<(std::ostream& out, const Route& route);

}  // namespace rustynet::backend_api
