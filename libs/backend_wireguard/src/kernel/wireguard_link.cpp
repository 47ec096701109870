// SPDX-License-Identifier: Apache-2.0
// RTM_NEWLINK / RTM_DELLINK for links of kind "wireguard".
#include "kernel/wireguard_link.hpp"

#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>

#include <cerrno>
#include <string>

namespace rustynet::backend_wireguard::kernel {
namespace {

constexpr std::size_t kLinkMessageSize = 512;
constexpr int kMaxDatagrams = 64;

base::Result<NetlinkBuffer, WgError> build_link_request(std::uint16_t type, std::uint16_t flags,
                                                        std::string_view ifname, std::uint32_t seq, bool with_kind,
                                                        std::string_view operation) {
  if (ifname.empty() || ifname.size() >= IFNAMSIZ || ifname.find('\0') != std::string_view::npos ||
      ifname.find('/') != std::string_view::npos) {
    return base::unexpected(make_error(operation, EINVAL, "invalid interface name"));
  }
  NetlinkBuffer buffer(kLinkMessageSize);
  nlmsghdr* header = mnl_nlmsg_put_header(buffer.storage().data());
  header->nlmsg_type = type;
  header->nlmsg_flags = flags;
  header->nlmsg_seq = seq;
  auto* info = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(header, sizeof(ifinfomsg)));
  info->ifi_family = AF_UNSPEC;
  const std::string name(ifname);
  mnl_attr_put_strz(header, IFLA_IFNAME, name.c_str());
  if (with_kind) {
    nlattr* linkinfo = mnl_attr_nest_start(header, IFLA_LINKINFO);
    mnl_attr_put_strz(header, IFLA_INFO_KIND, "wireguard");
    mnl_attr_nest_end(header, linkinfo);
  }
  buffer.set_size(header->nlmsg_len);
  return buffer;
}

base::Status<WgError> transact(NetlinkSocket& socket, const NetlinkBuffer& request, std::uint32_t seq,
                               const std::string& operation) {
  if (auto sent = socket.send(request.bytes()); !sent.has_value()) {
    return base::unexpected(make_error(operation, sent.error().error_number, sent.error().operation));
  }
  NetlinkBuffer reply(kReceiveBufferSize);
  for (int datagrams = 0; datagrams < kMaxDatagrams; ++datagrams) {
    auto received = socket.receive(reply.storage());
    if (!received.has_value()) {
      return base::unexpected(make_error(operation, received.error().error_number, received.error().operation));
    }
    reply.set_size(*received);
    RUSTYNET_ASSIGN_OR_RETURN(const ReplyProgress progress, parse_ack(reply.bytes(), seq, operation));
    if (progress == ReplyProgress::kDone) {
      return {};
    }
  }
  return base::unexpected(make_error(operation, EPROTO, "no acknowledgement"));
}

base::Result<std::unique_ptr<NetlinkSocket>, WgError> open_route_socket(const std::string& operation) {
  auto socket = open_netlink_socket(NETLINK_ROUTE);
  if (!socket.has_value()) {
    return base::unexpected(make_error(operation, socket.error().error_number, socket.error().operation));
  }
  return std::move(socket).value();
}

}  // namespace

base::Result<NetlinkBuffer, WgError> build_create_link_request(std::string_view ifname, std::uint32_t seq) {
  return build_link_request(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, ifname, seq, true,
                            "RTM_NEWLINK wireguard " + std::string(ifname));
}

base::Result<NetlinkBuffer, WgError> build_delete_link_request(std::string_view ifname, std::uint32_t seq) {
  return build_link_request(RTM_DELLINK, NLM_F_REQUEST | NLM_F_ACK, ifname, seq, false,
                            "RTM_DELLINK " + std::string(ifname));
}

base::Status<WgError> create_wireguard_link(NetlinkSocket& socket, std::string_view ifname, std::uint32_t seq) {
  RUSTYNET_ASSIGN_OR_RETURN(const NetlinkBuffer request, build_create_link_request(ifname, seq));
  return transact(socket, request, seq, "RTM_NEWLINK wireguard " + std::string(ifname));
}

base::Status<WgError> delete_link(NetlinkSocket& socket, std::string_view ifname, std::uint32_t seq) {
  RUSTYNET_ASSIGN_OR_RETURN(const NetlinkBuffer request, build_delete_link_request(ifname, seq));
  return transact(socket, request, seq, "RTM_DELLINK " + std::string(ifname));
}

base::Status<WgError> create_wireguard_link(std::string_view ifname) {
  RUSTYNET_ASSIGN_OR_RETURN(auto socket, open_route_socket("RTM_NEWLINK wireguard " + std::string(ifname)));
  return create_wireguard_link(*socket, ifname, 1);
}

base::Status<WgError> delete_link(std::string_view ifname) {
  RUSTYNET_ASSIGN_OR_RETURN(auto socket, open_route_socket("RTM_DELLINK " + std::string(ifname)));
  return delete_link(*socket, ifname, 1);
}

}  // namespace rustynet::backend_wireguard::kernel
