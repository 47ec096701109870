// SPDX-License-Identifier: Apache-2.0
// DriverKind names.
#include "rustynet/backend_wireguard/driver_kind.hpp"

namespace rustynet::backend_wireguard {

std::string_view to_string(DriverKind kind) noexcept { return kind == DriverKind::kKernel ? "kernel" : "userspace"; }

std::optional<DriverKind> parse_driver_kind(std::string_view text) noexcept {
  if (text == "kernel") {
    return DriverKind::kKernel;
  }
  if (text == "userspace") {
    return DriverKind::kUserspace;
  }
  return std::nullopt;
}

}  // namespace rustynet::backend_wireguard
