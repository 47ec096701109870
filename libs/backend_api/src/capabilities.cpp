// SPDX-License-Identifier: Apache-2.0
// Capability summary formatting.
#include "rustynet/backend_api/capabilities.hpp"

#include <ostream>

namespace rustynet::backend_api {

std::string describe(const BackendCapabilities& capabilities) {
  std::string out;
  auto add = [&out](bool flag, const char* name) {
    if (flag) {
      out += out.empty() ? "" : ",";
      out += name;
    }
  };
  add(capabilities.supports_roaming, "roaming");
  add(capabilities.supports_exit_nodes, "exit_nodes");
  add(capabilities.supports_lan_routes, "lan_routes");
  add(capabilities.supports_ipv6, "ipv6");
  return out.empty() ? "none" : out;
}

std::ostream& operator<<(std::ostream& out, const BackendCapabilities& capabilities) {
  return out << describe(capabilities);
}

}  // namespace rustynet::backend_api
