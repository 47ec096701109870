// SPDX-License-Identifier: Apache-2.0
// The one place where received netlink bytes are viewed as libmnl header structs.
#pragma once

#include <linux/netlink.h>

#include <cstdint>
#include <span>

namespace rustynet::backend_wireguard::kernel {

// Views the start of `bytes` as a netlink message header. The caller must check the result with
// mnl_nlmsg_ok(header, bytes.size()) before reading any field: that check reads only within the
// first sizeof(nlmsghdr) bytes and only when bytes.size() covers them. `bytes` must be 4-byte
// aligned (netlink buffers are heap vectors; messages start at NLMSG_ALIGN offsets).
[[nodiscard]] const nlmsghdr* view_nlmsghdr(std::span<const std::uint8_t> bytes) noexcept;

// Views the start of `bytes` as a netlink attribute header; check with mnl_attr_ok(attr, size).
[[nodiscard]] const nlattr* view_nlattr(std::span<const std::uint8_t> bytes) noexcept;

}  // namespace rustynet::backend_wireguard::kernel
