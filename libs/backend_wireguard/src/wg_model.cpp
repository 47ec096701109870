// SPDX-License-Identifier: Apache-2.0
// WgError formatting.
#include "wg_model.hpp"

#include <system_error>

namespace rustynet::backend_wireguard {

std::string WgError::describe() const {
  std::string out = operation;
  if (error_number != 0) {
    out += ": " + std::generic_category().message(error_number) + " (errno " + std::to_string(error_number) + ")";
  }
  if (!detail.empty()) {
    out += ": " + detail;
  }
  return out;
}

}  // namespace rustynet::backend_wireguard
