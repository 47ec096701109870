// SPDX-License-Identifier: Apache-2.0
// Route and RouteKind formatting.
#include "rustynet/backend_api/route.hpp"

#include <ostream>

namespace rustynet::backend_api {

std::string_view to_string(RouteKind kind) noexcept {
  switch (kind) {
    case RouteKind::kMesh: return "mesh";
    case RouteKind::kLan: return "lan";
    case RouteKind::kExitDefault: return "exit_default";
  }
  return "unknown";
}

std::ostream& operator<<(std::ostream& out, RouteKind kind) { return out << to_string(kind); }

std::ostream& operator<<(std::ostream& out, const Route& route) {
  return out << route.destination << " via " << route.via << " (" << route.kind << ")";
}

}  // namespace rustynet::backend_api
