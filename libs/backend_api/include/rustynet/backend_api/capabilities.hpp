// SPDX-License-Identifier: Apache-2.0
// BackendCapabilities: what a tunnel backend really implements (spec section 4, capability contract).
#pragma once

#include <string>

namespace rustynet::backend_api {

// Authoritative for feature checks: a request for a feature whose flag is false must fail closed
// with a typed error and change nothing; it is never silently degraded.
struct BackendCapabilities {
  bool supports_roaming = false;
  bool supports_exit_nodes = false;
  bool supports_lan_routes = false;
  bool supports_ipv6 = false;

  friend bool operator==(const BackendCapabilities&, const BackendCapabilities&) = default;
};

// "roaming,ipv6" style summary for status output; "none" when nothing is supported.
[[nodiscard]] std::string describe(const BackendCapabilities& capabilities);

}  // namespace rustynet::backend_api
