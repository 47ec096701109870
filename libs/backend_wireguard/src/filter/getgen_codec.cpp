// SPDX-License-Identifier: Apache-2.0
#include "filter/getgen_codec.hpp"

#include <libmnl/libmnl.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <sys/socket.h>

#include <cerrno>

namespace rustynet::backend_wireguard::filter {
namespace {

constexpr std::string_view kOperation = kGetGenOperation;
constexpr std::uint16_t kGetGen = (NFNL_SUBSYS_NFTABLES << 8U) | NFT_MSG_GETGEN;
constexpr std::uint16_t kNewGen = (NFNL_SUBSYS_NFTABLES << 8U) | NFT_MSG_NEWGEN;
// nfgenmsg needs no padding (4 bytes, NLMSG_ALIGNTO 4); libmnl's MNL_ALIGN is a signed macro.
constexpr std::size_t kNfgenHeader = sizeof(nfgenmsg);
static_assert(kNfgenHeader % 4 == 0 && sizeof(nlmsghdr) % 4 == 0);

// NFTA_GEN_ID is a big-endian u32 (nla_put_be32) without NLA_F_NET_BYTEORDER.
std::optional<std::uint32_t> big_endian_u32(std::span<const std::uint8_t> bytes) {
  if (bytes.size() != 4) {
    return std::nullopt;
  }
  return (std::uint32_t{bytes[0]} << 24U) | (std::uint32_t{bytes[1]} << 16U) | (std::uint32_t{bytes[2]} << 8U) |
         std::uint32_t{bytes[3]};
}

}  // namespace

kernel::NetlinkBuffer build_getgen_request(std::uint32_t seq) {
  kernel::NetlinkBuffer buffer(sizeof(nlmsghdr) + kNfgenHeader);
  nlmsghdr* header = mnl_nlmsg_put_header(buffer.storage().data());
  header->nlmsg_type = kGetGen;
  header->nlmsg_flags = NLM_F_REQUEST;
  header->nlmsg_seq = seq;
  auto* message = static_cast<nfgenmsg*>(mnl_nlmsg_put_extra_header(header, sizeof(nfgenmsg)));
  message->nfgen_family = AF_UNSPEC;
  message->version = NFNETLINK_V0;
  message->res_id = 0;
  buffer.set_size(header->nlmsg_len);
  return buffer;
}

base::Result<std::optional<std::uint32_t>, WgError> parse_getgen_reply(std::span<const std::uint8_t> datagram,
                                                                       std::uint32_t seq) {
  RUSTYNET_ASSIGN_OR_RETURN(const auto messages, kernel::split_messages(datagram, kOperation));
  for (const kernel::NetlinkMessageView& message : messages) {
    if (message.seq != seq) {
      continue;  // a late reply to an earlier request
    }
    if (message.type == NLMSG_ERROR) {
      const auto code = kernel::error_code_of(message);
      if (!code.has_value()) {
        return base::unexpected(kernel::make_error(kOperation, EPROTO, "truncated error reply"));
      }
      if (*code == 0) {
        continue;  // an ACK carries no generation
      }
      return base::unexpected(kernel::make_error(kOperation, *code, "refused by the kernel"));
    }
    if (message.type != kNewGen) {
      continue;
    }
    if (message.payload.size() < kNfgenHeader) {
      return base::unexpected(kernel::make_error(kOperation, EPROTO, "reply shorter than its header"));
    }
    RUSTYNET_ASSIGN_OR_RETURN(const auto attributes,
                              kernel::split_attributes(message.payload.subspan(kNfgenHeader), kOperation));
    for (const kernel::NetlinkAttrView& attribute : attributes) {
      if (attribute.type == NFTA_GEN_ID) {
        const std::optional<std::uint32_t> id = big_endian_u32(attribute.payload);
        if (!id.has_value()) {
          return base::unexpected(kernel::make_error(kOperation, EPROTO, "NFTA_GEN_ID is not 4 bytes"));
        }
        return std::optional<std::uint32_t>(*id);
      }
    }
    return base::unexpected(kernel::make_error(kOperation, EPROTO, "reply without NFTA_GEN_ID"));
  }
  return std::optional<std::uint32_t>();
}

}  // namespace rustynet::backend_wireguard::filter
