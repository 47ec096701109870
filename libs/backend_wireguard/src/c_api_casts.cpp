// SPDX-License-Identifier: Apache-2.0
// reinterpret_cast confined here (unsafe-gate allowlist): sockaddr_un -> sockaddr, bytes -> nlmsghdr.
#include "c_api_casts.hpp"

#include <linux/netlink.h>
#include <sys/socket.h>
#include <sys/un.h>

namespace rustynet::backend_wireguard {

const sockaddr* as_sockaddr(const sockaddr_un& address) noexcept {
  return reinterpret_cast<const sockaddr*>(&address);  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast)
}

const nlmsghdr* as_nlmsghdr(std::span<const std::uint8_t> bytes) noexcept {
  if (bytes.size() < sizeof(nlmsghdr)) {
    return nullptr;
  }
  return reinterpret_cast<const nlmsghdr*>(bytes.data());  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast)
}

}  // namespace rustynet::backend_wireguard
