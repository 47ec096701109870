// SPDX-License-Identifier: Apache-2.0
// sockaddr_un -> sockaddr (the allowlisted reinterpret_cast); netlink header views go through
// kernel/netlink_view.cpp, the library's one place that views bytes as netlink structs.
#include "c_api_casts.hpp"

#include <linux/netlink.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "kernel/netlink_view.hpp"

namespace rustynet::backend_wireguard {

const sockaddr* as_sockaddr(const sockaddr_un& address) noexcept {
  return reinterpret_cast<const sockaddr*>(&address);  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast)
}

const nlmsghdr* as_nlmsghdr(std::span<const std::uint8_t> bytes) noexcept {
  if (bytes.size() < sizeof(nlmsghdr)) {
    return nullptr;
  }
  return kernel::view_nlmsghdr(bytes);
}

}  // namespace rustynet::backend_wireguard
