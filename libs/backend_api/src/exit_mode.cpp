// SPDX-License-Identifier: Apache-2.0
// ExitMode formatting.
#include "rustynet/backend_api/exit_mode.hpp"

#include <ostream>

namespace rustynet::backend_api {

std::ostream& operator<<(std::ostream& out, const ExitMode& mode) {
  if (mode.is_off()) {
    return out << "off";
  }
  return out << "via " << *mode.exit_node();
}

}  // namespace rustynet::backend_api
