// SPDX-License-Identifier: Apache-2.0
// Reviewed reinterpret_casts: libmnl reads netlink headers in place from received byte buffers.
#include "kernel/netlink_view.hpp"

namespace rustynet::backend_wireguard::kernel {

const nlmsghdr* view_nlmsghdr(std::span<const std::uint8_t> bytes) noexcept {
  // libmnl's API takes typed header pointers into the receive buffer; there is no copy-free
  // alternative. Callers validate the length with mnl_nlmsg_ok before any field access.
  return reinterpret_cast<const nlmsghdr*>(bytes.data());  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast)
}

const nlattr* view_nlattr(std::span<const std::uint8_t> bytes) noexcept {
  // Same contract as view_nlmsghdr; callers validate with mnl_attr_ok.
  return reinterpret_cast<const nlattr*>(bytes.data());  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast)
}

}  // namespace rustynet::backend_wireguard::kernel
