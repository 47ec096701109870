// SPDX-License-Identifier: Apache-2.0
// Minimal rtnetlink create/delete of a link of kind "wireguard". Kept separate from the adapter's
// rtnetlink plumbing until the two are merged; only what the kernel driver and its VM tests need.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "kernel/netlink_message.hpp"
#include "kernel/netlink_socket.hpp"
#include "rustynet/base/result.hpp"
#include "wg_model.hpp"

namespace rustynet::backend_wireguard::kernel {

// RTM_NEWLINK (NLM_F_CREATE | NLM_F_EXCL) with IFLA_IFNAME and IFLA_LINKINFO/IFLA_INFO_KIND
// "wireguard". EXCL makes a name collision an EEXIST error instead of touching the existing link.
[[nodiscard]] base::Result<NetlinkBuffer, WgError> build_create_link_request(std::string_view ifname,
                                                                             std::uint32_t seq);
// RTM_DELLINK by IFLA_IFNAME.
[[nodiscard]] base::Result<NetlinkBuffer, WgError> build_delete_link_request(std::string_view ifname,
                                                                             std::uint32_t seq);

// Creates the link in the calling thread's network namespace. Errors carry the errno: EEXIST (name
// taken), EOPNOTSUPP (no wireguard module), EPERM.
[[nodiscard]] base::Status<WgError> create_wireguard_link(std::string_view ifname);
// Deletes the link. ENODEV if it does not exist.
[[nodiscard]] base::Status<WgError> delete_link(std::string_view ifname);

// Same, over a given socket (NETLINK_ROUTE) — the seam unit tests use.
[[nodiscard]] base::Status<WgError> create_wireguard_link(NetlinkSocket& socket, std::string_view ifname,
                                                          std::uint32_t seq);
[[nodiscard]] base::Status<WgError> delete_link(NetlinkSocket& socket, std::string_view ifname, std::uint32_t seq);

}  // namespace rustynet::backend_wireguard::kernel
