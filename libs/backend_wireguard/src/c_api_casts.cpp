// SPDX-License-Identifier: Apache-2.0
// Netlink header views; they go through kernel/netlink_view.cpp, the library's one place that views
// bytes as netlink structs.
#include "c_api_casts.hpp"

#include <linux/netlink.h>

#include "kernel/netlink_view.hpp"

namespace rustynet::backend_wireguard {

const nlmsghdr* as_nlmsghdr(std::span<const std::uint8_t> bytes) noexcept {
  if (bytes.size() < sizeof(nlmsghdr)) {
    return nullptr;
  }
  return kernel::view_nlmsghdr(bytes);
}

}  // namespace rustynet::backend_wireguard
