// SPDX-License-Identifier: Apache-2.0
// BackendCapabilities: what a tunnel backend really implements (spec section 4, capability contract).
#pragma once

#include <iosfwd>
#include <string>

namespace rustynet::backend_api {

// Authoritative for feature checks: a request for a feature whose flag is false must fail closed
// with kUnsupported and change nothing; it is never silently degraded. What each flag gates:
//  - supports_roaming:    configure_peer() changing (setting, altering or clearing) the endpoint of
//                         an already configured peer in place (also: following a peer that moves).
//  - supports_exit_nodes: ExitMode::via(...) and RouteKind::kExitDefault routes.
//  - supports_lan_routes: RouteKind::kLan routes.
//  - supports_ipv6:       any IPv6 value: interface address, peer endpoint, allowed prefix, route.
// Defaults are all false, so a backend that forgets to say what it supports supports nothing.
struct BackendCapabilities {
  bool supports_roaming = false;
  bool supports_exit_nodes = false;
  bool supports_lan_routes = false;
  bool supports_ipv6 = false;

  friend bool operator==(const BackendCapabilities&, const BackendCapabilities&) = default;
};

// "roaming,ipv6" style summary for status output; "none" when nothing is supported.
[[nodiscard]] std::string describe(const BackendCapabilities& capabilities);
std::ostream& operator<<(std::ostream& out, const BackendCapabilities& capabilities);

}  // namespace rustynet::backend_api
