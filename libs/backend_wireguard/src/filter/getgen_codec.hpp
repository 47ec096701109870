// SPDX-License-Identifier: Apache-2.0
// NFT_MSG_GETGEN on the wire: the request and the reply that carries the ruleset generation. Apart
// from the socket (ruleset_generation.cpp) so the codec tests and the fuzzer link it alone.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "kernel/netlink_message.hpp"
#include "rustynet/base/result.hpp"

namespace rustynet::backend_wireguard::filter {

inline constexpr std::string_view kGetGenOperation = "NFT_MSG_GETGEN";

// The NFT_MSG_GETGEN request with sequence number `seq`.
[[nodiscard]] kernel::NetlinkBuffer build_getgen_request(std::uint32_t seq);

// The generation out of one received datagram: a value when it holds the NFT_MSG_NEWGEN reply to
// `seq`, nullopt when it holds only other messages, an error for an NLMSG_ERROR to `seq` or a
// malformed reply.
[[nodiscard]] base::Result<std::optional<std::uint32_t>, WgError> parse_getgen_reply(
    std::span<const std::uint8_t> datagram, std::uint32_t seq);

}  // namespace rustynet::backend_wireguard::filter
