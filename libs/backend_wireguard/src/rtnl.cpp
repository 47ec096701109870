// SPDX-License-Identifier: Apache-2.0
// rtnetlink requests and dump parsing with libmnl.
#include "rtnl.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <thread>

#include "c_api_casts.hpp"
#include "rustynet/base/unique_fd.hpp"

namespace rustynet::backend_wireguard {
namespace {

constexpr std::size_t kBuildBuffer = 4096;
constexpr std::size_t kReceiveBuffer = std::size_t{64} * 1024;

std::uint8_t family_of(const WgAddress& address) noexcept {
  return static_cast<std::uint8_t>(address.is_v6 ? AF_INET6 : AF_INET);
}

std::uint16_t address_length(const WgAddress& address) noexcept { return address.is_v6 ? 16 : 4; }

// Starts a message in `buffer`; returns the header (libmnl writes into our zeroed buffer).
nlmsghdr* start_message(std::vector<std::uint8_t>& buffer, std::uint16_t type, std::uint16_t flags, std::uint32_t seq) {
  buffer.assign(kBuildBuffer, 0);
  nlmsghdr* header = mnl_nlmsg_put_header(buffer.data());
  header->nlmsg_type = type;
  header->nlmsg_flags = flags;
  header->nlmsg_seq = seq;
  return header;
}

void finish_message(std::vector<std::uint8_t>& buffer, const nlmsghdr* header) { buffer.resize(header->nlmsg_len); }

template <class T>
T* put_extra(nlmsghdr* header) {
  return static_cast<T*>(mnl_nlmsg_put_extra_header(header, sizeof(T)));
}

// Attribute table filled by mnl_attr_parse; index = attribute type.
template <std::size_t N>
struct AttrTable {
  std::array<const nlattr*, N> attrs{};
};

template <std::size_t N>
int collect_attr(const nlattr* attr, void* data) {
  auto* table = static_cast<AttrTable<N>*>(data);
  const auto type = mnl_attr_get_type(attr);
  if (type < N) {
    table->attrs[type] = attr;
  }
  return MNL_CB_OK;
}

std::optional<WgAddress> address_from_attr(const nlattr* attr, std::uint8_t family) {
  if (attr == nullptr) {
    return std::nullopt;
  }
  WgAddress address;
  address.is_v6 = family == AF_INET6;
  const std::size_t expected = address.is_v6 ? 16 : 4;
  if (mnl_attr_get_payload_len(attr) != expected) {
    return std::nullopt;
  }
  const auto* payload = static_cast<const std::uint8_t*>(mnl_attr_get_payload(attr));
  std::copy(payload, payload + expected, address.bytes.begin());
  return address;
}

// nlmsg_len rounded up to NLMSG_ALIGNTO in 64 bits. NLMSG_ALIGN itself is no use here: in 32 bits
// 0xFFFFFFFF wraps to 0, and its 32-bit mask clears the high half of a 64-bit length.
std::size_t aligned_length(const nlmsghdr& header) {
  constexpr std::size_t kAlign = NLMSG_ALIGNTO;
  return (std::size_t{header.nlmsg_len} + kAlign - 1) / kAlign * kAlign;
}

const nlmsghdr* header_of(std::span<const std::uint8_t> message) {
  const nlmsghdr* header = as_nlmsghdr(message);
  // libmnl walks attributes up to the 4-aligned end of the message, so the aligned length must be
  // inside the buffer too (fuzz_netlink_reply found the one-byte overread; the kernel always sends
  // aligned lengths).
  if (header == nullptr || header->nlmsg_len < sizeof(nlmsghdr) || aligned_length(*header) > message.size()) {
    return nullptr;
  }
  return header;
}

}  // namespace

std::string format_prefix(const NetPrefix& prefix) {
  std::array<char, INET6_ADDRSTRLEN> text{};
  const char* out = inet_ntop(prefix.address.is_v6 ? AF_INET6 : AF_INET, prefix.address.bytes.data(), text.data(),
                              static_cast<socklen_t>(text.size()));
  return std::string(out == nullptr ? "?" : out) + "/" + std::to_string(prefix.length);
}

std::vector<std::uint8_t> build_link_change(std::uint32_t seq, const LinkChange& change) {
  std::vector<std::uint8_t> buffer;
  nlmsghdr* header = start_message(buffer, RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, seq);
  auto* info = put_extra<ifinfomsg>(header);
  info->ifi_family = AF_UNSPEC;
  info->ifi_index = change.index;
  if (change.up.has_value()) {
    info->ifi_change = IFF_UP;
    info->ifi_flags = *change.up ? static_cast<unsigned>(IFF_UP) : 0U;
  }
  if (change.mtu.has_value()) {
    mnl_attr_put_u32(header, IFLA_MTU, *change.mtu);
  }
  if (change.alias.has_value()) {
    mnl_attr_put_strz(header, IFLA_IFALIAS, change.alias->c_str());
  }
  finish_message(buffer, header);
  return buffer;
}

std::vector<std::uint8_t> build_link_delete(std::uint32_t seq, int index) {
  std::vector<std::uint8_t> buffer;
  nlmsghdr* header = start_message(buffer, RTM_DELLINK, NLM_F_REQUEST | NLM_F_ACK, seq);
  auto* info = put_extra<ifinfomsg>(header);
  info->ifi_family = AF_UNSPEC;
  info->ifi_index = index;
  finish_message(buffer, header);
  return buffer;
}

std::vector<std::uint8_t> build_address(std::uint32_t seq, bool add, int index, const NetPrefix& prefix) {
  std::vector<std::uint8_t> buffer;
  const std::uint16_t flags =
      add ? NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE : NLM_F_REQUEST | NLM_F_ACK;
  nlmsghdr* header = start_message(buffer, add ? RTM_NEWADDR : RTM_DELADDR, flags, seq);
  auto* info = put_extra<ifaddrmsg>(header);
  info->ifa_family = family_of(prefix.address);
  info->ifa_prefixlen = prefix.length;
  // No duplicate address detection on a point-to-point tunnel: the address is usable at once.
  info->ifa_flags = prefix.address.is_v6 ? static_cast<std::uint8_t>(IFA_F_NODAD) : 0U;
  info->ifa_scope = RT_SCOPE_UNIVERSE;
  info->ifa_index = static_cast<std::uint32_t>(index);
  // Like ip(8) without a peer: local and address are the same.
  mnl_attr_put(header, IFA_LOCAL, address_length(prefix.address), prefix.address.bytes.data());
  mnl_attr_put(header, IFA_ADDRESS, address_length(prefix.address), prefix.address.bytes.data());
  finish_message(buffer, header);
  return buffer;
}

std::vector<std::uint8_t> build_route(std::uint32_t seq, bool add, int index, const RouteEntry& route) {
  std::vector<std::uint8_t> buffer;
  // EXCL, not REPLACE: a route someone else owns is a conflict to report, never to overwrite.
  const std::uint16_t flags = add ? NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL : NLM_F_REQUEST | NLM_F_ACK;
  nlmsghdr* header = start_message(buffer, add ? RTM_NEWROUTE : RTM_DELROUTE, flags, seq);
  auto* info = put_extra<rtmsg>(header);
  info->rtm_family = family_of(route.destination.address);
  info->rtm_dst_len = route.destination.length;
  info->rtm_table = RT_TABLE_MAIN;
  info->rtm_protocol = kRouteProtocol;
  if (add) {
    info->rtm_scope = route.gateway.has_value() ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
    info->rtm_type = RTN_UNICAST;
  } else {
    info->rtm_scope = RT_SCOPE_NOWHERE;
  }
  mnl_attr_put(header, RTA_DST, address_length(route.destination.address), route.destination.address.bytes.data());
  mnl_attr_put_u32(header, RTA_OIF, static_cast<std::uint32_t>(index));
  if (route.gateway.has_value()) {
    mnl_attr_put(header, RTA_GATEWAY, address_length(*route.gateway), route.gateway->bytes.data());
  }
  finish_message(buffer, header);
  return buffer;
}

std::optional<LinkInfo> parse_link_message(std::span<const std::uint8_t> message) {
  const nlmsghdr* header = header_of(message);
  if (header == nullptr || header->nlmsg_type != RTM_NEWLINK || mnl_nlmsg_get_payload_len(header) < sizeof(ifinfomsg)) {
    return std::nullopt;
  }
  const auto* info = static_cast<const ifinfomsg*>(mnl_nlmsg_get_payload(header));
  AttrTable<IFLA_MAX + 1> table;
  if (mnl_attr_parse(header, sizeof(ifinfomsg), collect_attr<IFLA_MAX + 1>, &table) < 0) {
    return std::nullopt;
  }
  LinkInfo link;
  link.index = info->ifi_index;
  link.flags = info->ifi_flags;
  if (table.attrs[IFLA_IFNAME] != nullptr && mnl_attr_validate(table.attrs[IFLA_IFNAME], MNL_TYPE_NUL_STRING) >= 0) {
    link.name = mnl_attr_get_str(table.attrs[IFLA_IFNAME]);
  }
  if (table.attrs[IFLA_MTU] != nullptr && mnl_attr_validate(table.attrs[IFLA_MTU], MNL_TYPE_U32) >= 0) {
    link.mtu = mnl_attr_get_u32(table.attrs[IFLA_MTU]);
  }
  if (table.attrs[IFLA_IFALIAS] != nullptr && mnl_attr_validate(table.attrs[IFLA_IFALIAS], MNL_TYPE_NUL_STRING) >= 0) {
    link.alias = mnl_attr_get_str(table.attrs[IFLA_IFALIAS]);
  }
  return link;
}

std::optional<std::pair<int, NetPrefix>> parse_address_message(std::span<const std::uint8_t> message) {
  const nlmsghdr* header = header_of(message);
  if (header == nullptr || header->nlmsg_type != RTM_NEWADDR || mnl_nlmsg_get_payload_len(header) < sizeof(ifaddrmsg)) {
    return std::nullopt;
  }
  const auto* info = static_cast<const ifaddrmsg*>(mnl_nlmsg_get_payload(header));
  if (info->ifa_family != AF_INET && info->ifa_family != AF_INET6) {
    return std::nullopt;
  }
  AttrTable<IFA_MAX + 1> table;
  if (mnl_attr_parse(header, sizeof(ifaddrmsg), collect_attr<IFA_MAX + 1>, &table) < 0) {
    return std::nullopt;
  }
  const nlattr* attr = table.attrs[IFA_LOCAL] != nullptr ? table.attrs[IFA_LOCAL] : table.attrs[IFA_ADDRESS];
  const auto address = address_from_attr(attr, info->ifa_family);
  if (!address.has_value()) {
    return std::nullopt;
  }
  return std::make_pair(static_cast<int>(info->ifa_index),
                        NetPrefix{.address = *address, .length = info->ifa_prefixlen});
}

std::optional<RouteEntry> parse_route_message(std::span<const std::uint8_t> message, int index) {
  const nlmsghdr* header = header_of(message);
  if (header == nullptr || header->nlmsg_type != RTM_NEWROUTE || mnl_nlmsg_get_payload_len(header) < sizeof(rtmsg)) {
    return std::nullopt;
  }
  const auto* info = static_cast<const rtmsg*>(mnl_nlmsg_get_payload(header));
  if ((info->rtm_family != AF_INET && info->rtm_family != AF_INET6) || info->rtm_protocol != kRouteProtocol ||
      info->rtm_type != RTN_UNICAST) {
    return std::nullopt;
  }
  AttrTable<RTA_MAX + 1> table;
  if (mnl_attr_parse(header, sizeof(rtmsg), collect_attr<RTA_MAX + 1>, &table) < 0) {
    return std::nullopt;
  }
  std::uint32_t route_table = info->rtm_table;
  if (table.attrs[RTA_TABLE] != nullptr && mnl_attr_validate(table.attrs[RTA_TABLE], MNL_TYPE_U32) >= 0) {
    route_table = mnl_attr_get_u32(table.attrs[RTA_TABLE]);
  }
  if (route_table != RT_TABLE_MAIN || table.attrs[RTA_OIF] == nullptr ||
      mnl_attr_validate(table.attrs[RTA_OIF], MNL_TYPE_U32) < 0 ||
      mnl_attr_get_u32(table.attrs[RTA_OIF]) != static_cast<std::uint32_t>(index)) {
    return std::nullopt;
  }
  RouteEntry route;
  route.destination.length = info->rtm_dst_len;
  route.destination.address.is_v6 = info->rtm_family == AF_INET6;
  if (table.attrs[RTA_DST] != nullptr) {
    const auto destination = address_from_attr(table.attrs[RTA_DST], info->rtm_family);
    if (!destination.has_value()) {
      return std::nullopt;
    }
    route.destination.address = *destination;
  }
  if (table.attrs[RTA_GATEWAY] != nullptr) {
    route.gateway = address_from_attr(table.attrs[RTA_GATEWAY], info->rtm_family);
  }
  return route;
}

void Rtnl::SocketCloser::operator()(mnl_socket* socket) const noexcept {
  if (socket != nullptr) {
    mnl_socket_close(socket);
  }
}

Rtnl::Rtnl(std::unique_ptr<mnl_socket, SocketCloser> socket, std::uint32_t port_id) noexcept
    : socket_(std::move(socket)), port_id_(port_id) {}
Rtnl::Rtnl(Rtnl&&) noexcept = default;
Rtnl& Rtnl::operator=(Rtnl&&) noexcept = default;
Rtnl::~Rtnl() = default;

base::Result<Rtnl, WgError> Rtnl::open(const std::optional<std::string>& netns_path) {
  // A netlink socket stays bound to the namespace it was created in. Creating it on a short-lived
  // thread that entered the target namespace leaves every other thread of the process untouched.
  std::unique_ptr<mnl_socket, SocketCloser> socket;
  WgError failure;
  bool failed = false;
  auto create = [&]() {
    if (netns_path.has_value()) {
      base::UniqueFd ns(::open(netns_path->c_str(), O_RDONLY | O_CLOEXEC));
      if (!ns.valid()) {
        failure = WgError{.operation = "open " + *netns_path, .error_number = errno, .detail = "network namespace"};
        failed = true;
        return;
      }
      if (::setns(ns.get(), CLONE_NEWNET) != 0) {
        failure = WgError{.operation = "setns " + *netns_path, .error_number = errno, .detail = ""};
        failed = true;
        return;
      }
    }
    socket.reset(mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC));
    if (!socket) {
      failure = WgError{.operation = "socket(NETLINK_ROUTE)", .error_number = errno, .detail = ""};
      failed = true;
      return;
    }
    if (mnl_socket_bind(socket.get(), 0, MNL_SOCKET_AUTOPID) < 0) {
      failure = WgError{.operation = "bind(NETLINK_ROUTE)", .error_number = errno, .detail = ""};
      failed = true;
    }
  };
  if (netns_path.has_value()) {
    std::thread worker(create);
    worker.join();
  } else {
    create();
  }
  if (failed) {
    return base::unexpected(std::move(failure));
  }
  const std::uint32_t port_id = mnl_socket_get_portid(socket.get());
  return Rtnl(std::move(socket), port_id);
}

namespace {

// Walks every netlink message in `bytes`. `on_message` returns: 0 continue, 1 finished, <0 error
// (the negated errno).
template <class F>
int walk_messages(std::span<const std::uint8_t> bytes, F&& on_message) {
  while (bytes.size() >= sizeof(nlmsghdr)) {
    const nlmsghdr* header = as_nlmsghdr(bytes);
    if (header == nullptr || header->nlmsg_len < sizeof(nlmsghdr) || header->nlmsg_len > bytes.size()) {
      return -EBADMSG;
    }
    const std::size_t advance = std::min(aligned_length(*header), bytes.size());
    const int rc = on_message(bytes.first(advance), header);
    if (rc != 0) {
      return rc;
    }
    bytes = bytes.subspan(advance);
  }
  return 0;
}

int error_of(const nlmsghdr* header) {
  if (mnl_nlmsg_get_payload_len(header) < sizeof(nlmsgerr)) {
    return -EBADMSG;
  }
  const auto* error = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(header));
  return error->error;  // 0 = ack, otherwise -errno
}

}  // namespace

template <class F>
base::Status<WgError> Rtnl::dump(std::uint16_t type, std::uint8_t family, const std::string& operation,
                                 F&& on_message) {
  std::vector<std::uint8_t> buffer;
  const std::uint32_t seq = ++seq_;
  nlmsghdr* header = start_message(buffer, type, NLM_F_REQUEST | NLM_F_DUMP, seq);
  // The family header the kernel expects for this request type; zero filters beyond the family.
  if (type == RTM_GETLINK) {
    put_extra<ifinfomsg>(header)->ifi_family = family;
  } else if (type == RTM_GETADDR) {
    put_extra<ifaddrmsg>(header)->ifa_family = family;
  } else {
    put_extra<rtmsg>(header)->rtm_family = family;
  }
  finish_message(buffer, header);
  if (mnl_socket_sendto(socket_.get(), buffer.data(), buffer.size()) < 0) {
    return base::unexpected(WgError{.operation = operation + " (send)", .error_number = errno, .detail = ""});
  }
  std::vector<std::uint8_t> receive(kReceiveBuffer);
  while (true) {
    const ssize_t got = mnl_socket_recvfrom(socket_.get(), receive.data(), receive.size());
    if (got < 0) {
      return base::unexpected(WgError{.operation = operation + " (receive)", .error_number = errno, .detail = ""});
    }
    const int rc = walk_messages(std::span<const std::uint8_t>(receive).first(static_cast<std::size_t>(got)),
                                 [&](std::span<const std::uint8_t> message, const nlmsghdr* reply) {
                                   if (reply->nlmsg_seq != seq || reply->nlmsg_pid != port_id_) {
                                     return 0;
                                   }
                                   if (reply->nlmsg_type == NLMSG_DONE) {
                                     return 1;
                                   }
                                   if (reply->nlmsg_type == NLMSG_ERROR) {
                                     const int error = error_of(reply);
                                     return error == 0 ? 1 : error;
                                   }
                                   on_message(message);
                                   return 0;
                                 });
    if (rc == 1) {
      return {};
    }
    if (rc < 0) {
      return base::unexpected(WgError{.operation = operation, .error_number = -rc, .detail = ""});
    }
  }
}

base::Status<WgError> Rtnl::request(std::vector<std::uint8_t> message, const std::string& operation) {
  const nlmsghdr* header = as_nlmsghdr(message);
  if (header == nullptr) {
    return base::unexpected(WgError{.operation = operation, .error_number = EINVAL, .detail = "empty message"});
  }
  const std::uint32_t seq = header->nlmsg_seq;
  if (mnl_socket_sendto(socket_.get(), message.data(), message.size()) < 0) {
    return base::unexpected(WgError{.operation = operation + " (send)", .error_number = errno, .detail = ""});
  }
  std::vector<std::uint8_t> receive(kReceiveBuffer);
  while (true) {
    const ssize_t got = mnl_socket_recvfrom(socket_.get(), receive.data(), receive.size());
    if (got < 0) {
      return base::unexpected(WgError{.operation = operation + " (receive)", .error_number = errno, .detail = ""});
    }
    const int rc = walk_messages(std::span<const std::uint8_t>(receive).first(static_cast<std::size_t>(got)),
                                 [&](std::span<const std::uint8_t> /*message*/, const nlmsghdr* reply) {
                                   if (reply->nlmsg_seq != seq || reply->nlmsg_type != NLMSG_ERROR) {
                                     return 0;
                                   }
                                   const int error = error_of(reply);
                                   return error == 0 ? 1 : error;
                                 });
    if (rc == 1) {
      return {};
    }
    if (rc < 0) {
      return base::unexpected(WgError{.operation = operation, .error_number = -rc, .detail = ""});
    }
  }
}

base::Result<std::vector<LinkInfo>, WgError> Rtnl::dump_links() {
  std::vector<LinkInfo> links;
  RUSTYNET_RETURN_IF_ERROR(dump(RTM_GETLINK, AF_UNSPEC, "RTM_GETLINK dump", [&](std::span<const std::uint8_t> m) {
    if (auto link = parse_link_message(m)) {
      links.push_back(std::move(*link));
    }
  }));
  return links;
}

base::Result<std::optional<LinkInfo>, WgError> Rtnl::find_link(const std::string& name) {
  RUSTYNET_ASSIGN_OR_RETURN(auto links, dump_links());
  for (LinkInfo& link : links) {
    if (link.name == name) {
      return std::optional<LinkInfo>(std::move(link));
    }
  }
  return std::optional<LinkInfo>();
}

base::Status<WgError> Rtnl::change_link(const LinkChange& change) {
  return request(build_link_change(++seq_, change), "RTM_NEWLINK ifindex " + std::to_string(change.index));
}

base::Status<WgError> Rtnl::delete_link(int index) {
  return request(build_link_delete(++seq_, index), "RTM_DELLINK ifindex " + std::to_string(index));
}

base::Result<std::vector<NetPrefix>, WgError> Rtnl::dump_addresses(int index) {
  std::vector<NetPrefix> addresses;
  RUSTYNET_RETURN_IF_ERROR(dump(RTM_GETADDR, AF_UNSPEC, "RTM_GETADDR dump", [&](std::span<const std::uint8_t> m) {
    if (auto entry = parse_address_message(m); entry.has_value() && entry->first == index) {
      addresses.push_back(entry->second);
    }
  }));
  return addresses;
}

base::Status<WgError> Rtnl::add_address(int index, const NetPrefix& prefix) {
  return request(build_address(++seq_, true, index, prefix),
                 "RTM_NEWADDR " + format_prefix(prefix) + " ifindex " + std::to_string(index));
}

base::Status<WgError> Rtnl::delete_address(int index, const NetPrefix& prefix) {
  return request(build_address(++seq_, false, index, prefix),
                 "RTM_DELADDR " + format_prefix(prefix) + " ifindex " + std::to_string(index));
}

base::Result<std::vector<RouteEntry>, WgError> Rtnl::dump_routes(int index) {
  std::vector<RouteEntry> routes;
  RUSTYNET_RETURN_IF_ERROR(dump(RTM_GETROUTE, AF_UNSPEC, "RTM_GETROUTE dump", [&](std::span<const std::uint8_t> m) {
    if (auto route = parse_route_message(m, index)) {
      routes.push_back(*route);
    }
  }));
  return routes;
}

base::Status<WgError> Rtnl::add_route(int index, const RouteEntry& route) {
  return request(build_route(++seq_, true, index, route),
                 "RTM_NEWROUTE " + format_prefix(route.destination) + " ifindex " + std::to_string(index));
}

base::Status<WgError> Rtnl::delete_route(int index, const RouteEntry& route) {
  return request(build_route(++seq_, false, index, route),
                 "RTM_DELROUTE " + format_prefix(route.destination) + " ifindex " + std::to_string(index));
}

}  // namespace rustynet::backend_wireguard
