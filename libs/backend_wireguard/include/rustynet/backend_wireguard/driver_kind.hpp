// SPDX-License-Identifier: Apache-2.0
// DriverKind: which WireGuard implementation the adapter drives.
#pragma once

#include <optional>
#include <string_view>

namespace rustynet::backend_wireguard {

enum class DriverKind {
  kKernel,     // in-kernel module over generic netlink
  kUserspace,  // a userspace implementation (wireguard-go) over the UAPI socket
};

[[nodiscard]] std::string_view to_string(DriverKind kind) noexcept;
// Strict: only "kernel" or "userspace".
[[nodiscard]] std::optional<DriverKind> parse_driver_kind(std::string_view text) noexcept;

}  // namespace rustynet::backend_wireguard
