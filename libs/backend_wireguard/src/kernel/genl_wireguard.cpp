// SPDX-License-Identifier: Apache-2.0
// WG_CMD_SET_DEVICE / WG_CMD_GET_DEVICE and CTRL_CMD_GETFAMILY encoding and decoding with libmnl.
#include "kernel/genl_wireguard.hpp"

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/wireguard.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <bit>
#include <string>
#include <utility>

namespace rustynet::backend_wireguard::kernel {
namespace {

constexpr std::string_view kGetFamilyOperation = "CTRL_CMD_GETFAMILY wireguard";

nlmsghdr* start_genl_message(NetlinkBuffer& buffer, std::uint16_t type, std::uint16_t flags, std::uint32_t seq,
                             std::uint8_t command, std::uint8_t version) {
  nlmsghdr* header = mnl_nlmsg_put_header(buffer.storage().data());
  header->nlmsg_type = type;
  header->nlmsg_flags = flags;
  header->nlmsg_seq = seq;
  auto* genl = static_cast<genlmsghdr*>(mnl_nlmsg_put_extra_header(header, sizeof(genlmsghdr)));
  genl->cmd = command;
  genl->version = version;
  return header;
}

void finish_message(NetlinkBuffer& buffer, const nlmsghdr* header) { buffer.set_size(header->nlmsg_len); }

base::Status<WgError> check_ifname(std::string_view ifname, std::string_view operation) {
  if (ifname.empty() || ifname.size() >= IFNAMSIZ || ifname.find('\0') != std::string_view::npos ||
      ifname.find('/') != std::string_view::npos) {
    return base::unexpected(make_error(operation, EINVAL, "invalid interface name"));
  }
  return {};
}

std::uint16_t network_order_u16(std::uint16_t value) {
  const std::array<std::uint8_t, 2> big_endian{static_cast<std::uint8_t>(value >> 8U),
                                               static_cast<std::uint8_t>(value & 0xFFU)};
  return std::bit_cast<std::uint16_t>(big_endian);
}

std::uint16_t host_order_u16(std::uint16_t network_value) {
  const auto raw = std::bit_cast<std::array<std::uint8_t, 2>>(network_value);
  return static_cast<std::uint16_t>((static_cast<unsigned>(raw[0]) << 8U) | raw[1]);
}

// struct sockaddr_in / sockaddr_in6 as the kernel expects them in WGPEER_A_ENDPOINT.
std::vector<std::uint8_t> encode_endpoint(const WgEndpoint& endpoint) {
  if (!endpoint.address.is_v6) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = network_order_u16(endpoint.port);
    std::array<std::uint8_t, sizeof(in_addr)> raw{};
    std::copy_n(endpoint.address.bytes.begin(), raw.size(), raw.begin());
    address.sin_addr = std::bit_cast<in_addr>(raw);
    const auto bytes = std::bit_cast<std::array<std::uint8_t, sizeof(sockaddr_in)>>(address);
    return {bytes.begin(), bytes.end()};
  }
  sockaddr_in6 address{};
  address.sin6_family = AF_INET6;
  address.sin6_port = network_order_u16(endpoint.port);
  address.sin6_addr = std::bit_cast<in6_addr>(endpoint.address.bytes);
  const auto bytes = std::bit_cast<std::array<std::uint8_t, sizeof(sockaddr_in6)>>(address);
  return {bytes.begin(), bytes.end()};
}

std::optional<WgEndpoint> decode_endpoint(std::span<const std::uint8_t> payload) {
  WgEndpoint endpoint;
  if (payload.size() == sizeof(sockaddr_in)) {
    std::array<std::uint8_t, sizeof(sockaddr_in)> raw{};
    std::copy(payload.begin(), payload.end(), raw.begin());
    const auto address = std::bit_cast<sockaddr_in>(raw);
    if (address.sin_family != AF_INET) {
      return std::nullopt;
    }
    const auto ip = std::bit_cast<std::array<std::uint8_t, sizeof(in_addr)>>(address.sin_addr);
    std::copy(ip.begin(), ip.end(), endpoint.address.bytes.begin());
    endpoint.port = host_order_u16(address.sin_port);
    return endpoint;
  }
  if (payload.size() == sizeof(sockaddr_in6)) {
    std::array<std::uint8_t, sizeof(sockaddr_in6)> raw{};
    std::copy(payload.begin(), payload.end(), raw.begin());
    const auto address = std::bit_cast<sockaddr_in6>(raw);
    if (address.sin6_family != AF_INET6) {
      return std::nullopt;
    }
    endpoint.address.is_v6 = true;
    endpoint.address.bytes = std::bit_cast<std::array<std::uint8_t, 16>>(address.sin6_addr);
    endpoint.port = host_order_u16(address.sin6_port);
    return endpoint;
  }
  return std::nullopt;
}

base::Status<WgError> check_update(const WgDeviceUpdate& update, std::string_view operation) {
  if (update.private_key.has_value() && update.private_key->size() != WG_KEY_LEN) {
    return base::unexpected(make_error(operation, EINVAL, "private key must be 32 bytes"));
  }
  for (const auto& peer : update.peers) {
    for (const auto& allowed : peer.allowed_ips) {
      if (allowed.cidr > (allowed.address.is_v6 ? 128 : 32)) {
        return base::unexpected(make_error(operation, EINVAL, "allowed IP prefix length exceeds its address family"));
      }
    }
  }
  return {};
}

enum class PeerFit { kComplete, kPartial, kNoRoom };

// Appends one peer (or the next chunk of it) to the WGDEVICE_A_PEERS nest. `next_ip` is the index of
// the first allowed IP still to send and advances past the ones added. `continuing` marks a chunk
// after the first: only the key, WGPEER_F_UPDATE_ONLY and further allowed IPs. A peer that cannot
// add at least one allowed IP is moved to the next message unless the message holds no peer yet
// (which guarantees progress).
PeerFit put_peer(nlmsghdr* header, std::size_t limit, const WgPeerUpdate& peer, std::size_t& next_ip, bool continuing,
                 bool message_has_peers) {
  nlattr* peer_nest = mnl_attr_nest_start_check(header, limit, 0);
  if (peer_nest == nullptr) {
    return PeerFit::kNoRoom;
  }
  auto no_room = [&] {
    mnl_attr_nest_cancel(header, peer_nest);
    return PeerFit::kNoRoom;
  };
  if (!mnl_attr_put_check(header, limit, WGPEER_A_PUBLIC_KEY, peer.public_key.bytes.size(),
                          peer.public_key.bytes.data())) {
    return no_room();
  }
  constexpr std::uint32_t kRemoveMe = WGPEER_F_REMOVE_ME;
  constexpr std::uint32_t kUpdateOnly = WGPEER_F_UPDATE_ONLY;
  constexpr std::uint32_t kReplaceAllowedIps = WGPEER_F_REPLACE_ALLOWEDIPS;
  std::uint32_t flags = 0;
  if (peer.remove) {
    flags = kRemoveMe;
  } else if (continuing) {
    flags = kUpdateOnly;
  } else {
    flags = (peer.update_only ? kUpdateOnly : 0U) | (peer.replace_allowed_ips ? kReplaceAllowedIps : 0U);
  }
  if (flags != 0 && !mnl_attr_put_u32_check(header, limit, WGPEER_A_FLAGS, flags)) {
    return no_room();
  }
  if (peer.remove) {
    mnl_attr_nest_end(header, peer_nest);
    return PeerFit::kComplete;
  }
  if (!continuing) {
    if (peer.endpoint.has_value()) {
      const auto endpoint = encode_endpoint(*peer.endpoint);
      if (!mnl_attr_put_check(header, limit, WGPEER_A_ENDPOINT, endpoint.size(), endpoint.data())) {
        return no_room();
      }
    }
    if (peer.persistent_keepalive_seconds.has_value() &&
        !mnl_attr_put_u16_check(header, limit, WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL,
                                *peer.persistent_keepalive_seconds)) {
      return no_room();
    }
  }
  if (next_ip < peer.allowed_ips.size()) {
    nlattr* list_nest = mnl_attr_nest_start_check(header, limit, WGPEER_A_ALLOWEDIPS);
    if (list_nest == nullptr) {
      return no_room();
    }
    std::size_t added = 0;
    for (; next_ip < peer.allowed_ips.size(); ++next_ip) {
      const WgAllowedIp& allowed = peer.allowed_ips[next_ip];
      nlattr* ip_nest = mnl_attr_nest_start_check(header, limit, 0);
      if (ip_nest == nullptr) {
        break;
      }
      const std::uint16_t family = allowed.address.is_v6 ? AF_INET6 : AF_INET;
      const std::size_t address_size = allowed.address.is_v6 ? 16 : 4;
      if (!mnl_attr_put_u16_check(header, limit, WGALLOWEDIP_A_FAMILY, family) ||
          !mnl_attr_put_check(header, limit, WGALLOWEDIP_A_IPADDR, address_size, allowed.address.bytes.data()) ||
          !mnl_attr_put_u8_check(header, limit, WGALLOWEDIP_A_CIDR_MASK, allowed.cidr)) {
        mnl_attr_nest_cancel(header, ip_nest);
        break;
      }
      mnl_attr_nest_end(header, ip_nest);
      ++added;
    }
    if (added == 0 && message_has_peers) {
      return no_room();
    }
    mnl_attr_nest_end(header, list_nest);
  }
  mnl_attr_nest_end(header, peer_nest);
  return next_ip < peer.allowed_ips.size() ? PeerFit::kPartial : PeerFit::kComplete;
}

}  // namespace

NetlinkBuffer build_get_family_request(std::uint32_t seq) {
  NetlinkBuffer buffer(256);
  nlmsghdr* header = start_genl_message(buffer, GENL_ID_CTRL, NLM_F_REQUEST, seq, CTRL_CMD_GETFAMILY, 1);
  mnl_attr_put_strz(header, CTRL_ATTR_FAMILY_NAME, WG_GENL_NAME);
  finish_message(buffer, header);
  return buffer;
}

base::Result<std::optional<std::uint16_t>, WgError> parse_get_family_reply(std::span<const std::uint8_t> datagram,
                                                                           std::uint32_t seq) {
  RUSTYNET_ASSIGN_OR_RETURN(const auto messages, split_messages(datagram, kGetFamilyOperation));
  for (const auto& message : messages) {
    if (message.seq != seq) {
      continue;
    }
    if (message.type == NLMSG_ERROR) {
      const auto code = error_code_of(message);
      if (!code.has_value() || *code == 0) {
        return base::unexpected(make_error(kGetFamilyOperation, code.value_or(0), "no family in reply"));
      }
      return base::unexpected(make_error(kGetFamilyOperation, *code,
                                         *code == ENOENT ? "generic netlink family 'wireguard' not registered "
                                                           "(is the wireguard kernel module loaded?)"
                                                         : "family lookup failed"));
    }
    if (message.type != GENL_ID_CTRL || message.payload.size() < GENL_HDRLEN) {
      continue;
    }
    RUSTYNET_ASSIGN_OR_RETURN(const auto attrs,
                              split_attributes(message.payload.subspan(GENL_HDRLEN), kGetFamilyOperation));
    for (const auto& attr : attrs) {
      if (attr.type == CTRL_ATTR_FAMILY_ID) {
        const auto id = attr_u16(attr);
        if (!id.has_value() || *id == 0) {
          return base::unexpected(make_error(kGetFamilyOperation, 0, "malformed CTRL_ATTR_FAMILY_ID"));
        }
        return std::optional<std::uint16_t>(*id);
      }
    }
    return base::unexpected(make_error(kGetFamilyOperation, 0, "reply without CTRL_ATTR_FAMILY_ID"));
  }
  return std::optional<std::uint16_t>();
}

base::Result<std::vector<NetlinkBuffer>, WgError> build_set_device_requests(std::uint16_t family_id,
                                                                            std::string_view ifname,
                                                                            const WgDeviceUpdate& update,
                                                                            std::uint32_t first_seq,
                                                                            std::size_t max_message_size) {
  const std::string operation = "WG_CMD_SET_DEVICE " + std::string(ifname);
  RUSTYNET_RETURN_IF_ERROR(check_ifname(ifname, operation));
  RUSTYNET_RETURN_IF_ERROR(check_update(update, operation));
  if (max_message_size < kMinMaxMessageSize || max_message_size > kMaxMaxMessageSize) {
    return base::unexpected(make_error(operation, EINVAL, "maximum netlink message size out of range"));
  }
  const std::string name(ifname);
  std::vector<NetlinkBuffer> requests;
  std::size_t peer_index = 0;
  std::size_t next_ip = 0;
  bool continuing = false;
  while (requests.empty() || peer_index < update.peers.size()) {
    const bool first = requests.empty();
    NetlinkBuffer buffer(max_message_size);
    nlmsghdr* header =
        start_genl_message(buffer, family_id, NLM_F_REQUEST | NLM_F_ACK,
                           first_seq + static_cast<std::uint32_t>(requests.size()), WG_CMD_SET_DEVICE, WG_GENL_VERSION);
    bool fits = mnl_attr_put_strz_check(header, max_message_size, WGDEVICE_A_IFNAME, name.c_str());
    if (first) {
      if (update.private_key.has_value()) {
        fits = fits && mnl_attr_put_check(header, max_message_size, WGDEVICE_A_PRIVATE_KEY, WG_KEY_LEN,
                                          update.private_key->view().data());
      }
      if (update.listen_port.has_value()) {
        fits = fits && mnl_attr_put_u16_check(header, max_message_size, WGDEVICE_A_LISTEN_PORT, *update.listen_port);
      }
      if (update.fwmark.has_value()) {
        fits = fits && mnl_attr_put_u32_check(header, max_message_size, WGDEVICE_A_FWMARK, *update.fwmark);
      }
    }
    if (!fits) {
      return base::unexpected(make_error(operation, EMSGSIZE, "device attributes exceed the message size"));
    }
    std::size_t peers_in_message = 0;
    if (peer_index < update.peers.size()) {
      nlattr* peers_nest = mnl_attr_nest_start_check(header, max_message_size, WGDEVICE_A_PEERS);
      if (peers_nest == nullptr) {
        return base::unexpected(make_error(operation, EMSGSIZE, "no room for peers in a message"));
      }
      while (peer_index < update.peers.size()) {
        const PeerFit fit =
            put_peer(header, max_message_size, update.peers[peer_index], next_ip, continuing, peers_in_message > 0);
        if (fit == PeerFit::kNoRoom) {
          break;
        }
        ++peers_in_message;
        if (fit == PeerFit::kPartial) {
          continuing = true;
          break;
        }
        ++peer_index;
        next_ip = 0;
        continuing = false;
      }
      if (peers_in_message == 0) {
        mnl_attr_nest_cancel(header, peers_nest);
      } else {
        mnl_attr_nest_end(header, peers_nest);
      }
    }
    if (peers_in_message == 0 && !first) {
      return base::unexpected(make_error(operation, EMSGSIZE, "a peer does not fit in one netlink message"));
    }
    finish_message(buffer, header);
    requests.push_back(std::move(buffer));
  }
  return requests;
}

base::Result<NetlinkBuffer, WgError> build_get_device_request(std::uint16_t family_id, std::string_view ifname,
                                                              std::uint32_t seq) {
  const std::string operation = "WG_CMD_GET_DEVICE " + std::string(ifname);
  RUSTYNET_RETURN_IF_ERROR(check_ifname(ifname, operation));
  NetlinkBuffer buffer(256);
  nlmsghdr* header =
      start_genl_message(buffer, family_id, NLM_F_REQUEST | NLM_F_DUMP, seq, WG_CMD_GET_DEVICE, WG_GENL_VERSION);
  const std::string name(ifname);
  mnl_attr_put_strz(header, WGDEVICE_A_IFNAME, name.c_str());
  finish_message(buffer, header);
  return buffer;
}

DeviceDumpParser::DeviceDumpParser(std::uint16_t family_id, std::uint32_t seq, std::string operation)
    : family_id_(family_id), seq_(seq), operation_(std::move(operation)) {}

base::Result<ReplyProgress, WgError> DeviceDumpParser::feed(std::span<const std::uint8_t> datagram) {
  if (done_) {
    return ReplyProgress::kDone;
  }
  RUSTYNET_ASSIGN_OR_RETURN(const auto messages, split_messages(datagram, operation_));
  for (const auto& message : messages) {
    if (message.seq != seq_) {
      continue;  // a stale reply to an earlier, abandoned request
    }
    if ((message.flags & NLM_F_DUMP_INTR) != 0) {
      interrupted_ = true;
    }
    if (message.type == NLMSG_ERROR) {
      const auto code = error_code_of(message);
      if (!code.has_value()) {
        return base::unexpected(make_error(operation_, 0, "truncated netlink error message"));
      }
      if (*code != 0) {
        return base::unexpected(make_error(operation_, *code, "kernel rejected the dump"));
      }
      continue;
    }
    if (message.type == NLMSG_DONE) {
      // Since Linux 4.x NLMSG_DONE carries the dump's final status.
      const auto code = error_code_of(message);
      if (code.has_value() && *code != 0) {
        return base::unexpected(make_error(operation_, *code, "dump ended with an error"));
      }
      done_ = true;
      return ReplyProgress::kDone;
    }
    if (message.type == NLMSG_OVERRUN) {
      return base::unexpected(make_error(operation_, ENOBUFS, "netlink overrun during dump"));
    }
    if (message.type != family_id_) {
      continue;
    }
    if (message.payload.size() < GENL_HDRLEN || message.payload[0] != WG_CMD_GET_DEVICE) {
      return base::unexpected(make_error(operation_, 0, "unexpected generic netlink command in dump"));
    }
    RUSTYNET_RETURN_IF_ERROR(parse_device(message.payload.subspan(GENL_HDRLEN)));
  }
  return ReplyProgress::kMore;
}

base::Status<WgError> DeviceDumpParser::parse_device(std::span<const std::uint8_t> attributes) {
  RUSTYNET_ASSIGN_OR_RETURN(const auto attrs, split_attributes(attributes, operation_));
  for (const auto& attr : attrs) {
    switch (attr.type) {
      case WGDEVICE_A_PUBLIC_KEY: {
        if (attr.payload.size() != WG_KEY_LEN) {
          return base::unexpected(make_error(operation_, 0, "malformed WGDEVICE_A_PUBLIC_KEY"));
        }
        WgPublicKey key;
        std::copy(attr.payload.begin(), attr.payload.end(), key.bytes.begin());
        state_.public_key = key;
        break;
      }
      case WGDEVICE_A_LISTEN_PORT: {
        const auto port = attr_u16(attr);
        if (!port.has_value()) {
          return base::unexpected(make_error(operation_, 0, "malformed WGDEVICE_A_LISTEN_PORT"));
        }
        state_.listen_port = *port;
        break;
      }
      case WGDEVICE_A_FWMARK: {
        const auto mark = attr_u32(attr);
        if (!mark.has_value()) {
          return base::unexpected(make_error(operation_, 0, "malformed WGDEVICE_A_FWMARK"));
        }
        state_.fwmark = *mark;
        break;
      }
      case WGDEVICE_A_PEERS: {
        RUSTYNET_ASSIGN_OR_RETURN(const auto peers, split_attributes(attr.payload, operation_));
        for (const auto& peer : peers) {
          RUSTYNET_RETURN_IF_ERROR(parse_peer(peer.payload));
        }
        break;
      }
      default:
        // WGDEVICE_A_PRIVATE_KEY is deliberately never read; ifindex, ifname, flags and attributes
        // newer kernels add are not part of the device model.
        break;
    }
  }
  return {};
}

base::Status<WgError> DeviceDumpParser::parse_peer(std::span<const std::uint8_t> attributes) {
  RUSTYNET_ASSIGN_OR_RETURN(const auto attrs, split_attributes(attributes, operation_));
  WgPeerState peer;
  bool has_key = false;
  for (const auto& attr : attrs) {
    switch (attr.type) {
      case WGPEER_A_PUBLIC_KEY:
        if (attr.payload.size() != WG_KEY_LEN) {
          return base::unexpected(make_error(operation_, 0, "malformed WGPEER_A_PUBLIC_KEY"));
        }
        std::copy(attr.payload.begin(), attr.payload.end(), peer.public_key.bytes.begin());
        has_key = true;
        break;
      case WGPEER_A_ENDPOINT: {
        auto endpoint = decode_endpoint(attr.payload);
        if (!endpoint.has_value()) {
          return base::unexpected(make_error(operation_, 0, "malformed WGPEER_A_ENDPOINT"));
        }
        peer.endpoint = *endpoint;
        break;
      }
      case WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL: {
        const auto interval = attr_u16(attr);
        if (!interval.has_value()) {
          return base::unexpected(make_error(operation_, 0, "malformed WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL"));
        }
        peer.persistent_keepalive_seconds = *interval;
        break;
      }
      case WGPEER_A_LAST_HANDSHAKE_TIME: {
        // struct __kernel_timespec { __s64 tv_sec; __s64 tv_nsec; }
        if (attr.payload.size() != 2 * sizeof(std::int64_t)) {
          return base::unexpected(make_error(operation_, 0, "malformed WGPEER_A_LAST_HANDSHAKE_TIME"));
        }
        const auto seconds = attr_u64(NetlinkAttrView{attr.type, attr.payload.first(sizeof(std::int64_t))});
        const auto nanos = attr_u64(NetlinkAttrView{attr.type, attr.payload.subspan(sizeof(std::int64_t))});
        peer.last_handshake_unix_seconds = static_cast<std::int64_t>(seconds.value_or(0));
        peer.last_handshake_nanoseconds = static_cast<std::int64_t>(nanos.value_or(0));
        break;
      }
      case WGPEER_A_RX_BYTES:
      case WGPEER_A_TX_BYTES: {
        const auto count = attr_u64(attr);
        if (!count.has_value()) {
          return base::unexpected(make_error(operation_, 0, "malformed peer byte counter"));
        }
        (attr.type == WGPEER_A_RX_BYTES ? peer.rx_bytes : peer.tx_bytes) = *count;
        break;
      }
      case WGPEER_A_ALLOWEDIPS: {
        RUSTYNET_ASSIGN_OR_RETURN(const auto list, split_attributes(attr.payload, operation_));
        for (const auto& entry : list) {
          RUSTYNET_ASSIGN_OR_RETURN(const auto fields, split_attributes(entry.payload, operation_));
          std::optional<std::uint16_t> family;
          std::optional<std::uint8_t> cidr;
          std::span<const std::uint8_t> address;
          for (const auto& field : fields) {
            if (field.type == WGALLOWEDIP_A_FAMILY) {
              family = attr_u16(field);
            } else if (field.type == WGALLOWEDIP_A_IPADDR) {
              address = field.payload;
            } else if (field.type == WGALLOWEDIP_A_CIDR_MASK) {
              cidr = attr_u8(field);
            }
          }
          const bool v4 = family == AF_INET && address.size() == 4 && cidr.has_value() && *cidr <= 32;
          const bool v6 = family == AF_INET6 && address.size() == 16 && cidr.has_value() && *cidr <= 128;
          if (!v4 && !v6) {
            return base::unexpected(make_error(operation_, 0, "malformed allowed IP in dump"));
          }
          WgAllowedIp allowed;
          allowed.address.is_v6 = v6;
          std::copy(address.begin(), address.end(), allowed.address.bytes.begin());
          allowed.cidr = *cidr;
          peer.allowed_ips.push_back(allowed);
        }
        break;
      }
      default:
        // WGPEER_A_PRESHARED_KEY is never read; flags and protocol version are not modelled.
        break;
    }
  }
  if (!has_key) {
    return base::unexpected(make_error(operation_, 0, "peer without public key in dump"));
  }
  // The kernel continues a peer whose allowed IPs overflowed a message in the next message,
  // repeating only its public key: merge such a continuation into the peer it belongs to.
  if (!state_.peers.empty() && state_.peers.back().public_key == peer.public_key) {
    auto& previous = state_.peers.back();
    previous.allowed_ips.insert(previous.allowed_ips.end(), peer.allowed_ips.begin(), peer.allowed_ips.end());
    return {};
  }
  state_.peers.push_back(std::move(peer));
  return {};
}

}  // namespace rustynet::backend_wireguard::kernel
