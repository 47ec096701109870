// SPDX-License-Identifier: Apache-2.0
// RuntimeContext deep copy and redacted formatting.
#include "rustynet/backend_api/runtime_context.hpp"

#include <ostream>

namespace rustynet::backend_api {

RuntimeContext RuntimeContext::clone() const {
  return RuntimeContext{local_node, interface_name, interface_addresses, listen_port, mtu, tunnel_private_key.clone()};
}

std::ostream& operator<<(std::ostream& out, const RuntimeContext& context) {
  out << "context{node=" << context.local_node << " interface=" << context.interface_name << " addresses=[";
  for (std::size_t i = 0; i < context.interface_addresses.size(); ++i) {
    out << (i == 0 ? "" : ",") << context.interface_addresses[i];
  }
  return out << "] listen_port=" << context.listen_port << " mtu=" << context.mtu
             << " private_key=" << context.tunnel_private_key << "}";
}

}  // namespace rustynet::backend_api
