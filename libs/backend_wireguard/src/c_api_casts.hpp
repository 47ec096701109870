// SPDX-License-Identifier: Apache-2.0
// Pointer conversions the C APIs demand (netlink), kept out of the logic files.
#pragma once

#include <cstdint>
#include <span>

struct nlmsghdr;

namespace rustynet::backend_wireguard {

// A netlink message header at the start of `bytes`; nullptr if `bytes` is shorter than a header.
// The buffer must be 4-byte aligned (netlink messages are NLMSG_ALIGNTO-aligned by construction).
[[nodiscard]] const nlmsghdr* as_nlmsghdr(std::span<const std::uint8_t> bytes) noexcept;

}  // namespace rustynet::backend_wireguard
