// SPDX-License-Identifier: Apache-2.0
// Test-only decoding of the WG_CMD_SET_DEVICE requests we build, via the library's (separately
// byte-tested) message/attribute splitters.
#pragma once

#include <linux/wireguard.h>
#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "kernel/netlink_message.hpp"
#include "wg_model.hpp"

namespace rustynet::backend_wireguard::kernel::testing {

struct DecodedPeer {
  WgPublicKey key;
  std::uint32_t flags = 0;
  bool has_endpoint = false;
  std::optional<std::uint16_t> keepalive;
  std::vector<WgAllowedIp> allowed_ips;
};

struct DecodedRequest {
  std::uint16_t type = 0;
  std::uint16_t flags = 0;
  std::uint32_t seq = 0;
  std::uint8_t command = 0;
  bool has_private_key = false;
  bool has_device_flags = false;
  std::optional<std::uint16_t> listen_port;
  std::vector<DecodedPeer> peers;
};

inline WgAllowedIp decode_allowed_ip(const NetlinkAttrView& entry) {
  WgAllowedIp allowed;
  const auto fields = split_attributes(entry.payload, "test").value();
  for (const auto& field : fields) {
    if (field.type == WGALLOWEDIP_A_IPADDR) {
      allowed.address.is_v6 = field.payload.size() == 16;
      std::copy(field.payload.begin(), field.payload.end(), allowed.address.bytes.begin());
    } else if (field.type == WGALLOWEDIP_A_CIDR_MASK) {
      allowed.cidr = attr_u8(field).value();
    }
  }
  return allowed;
}

inline DecodedRequest decode_set_device(std::span<const std::uint8_t> bytes) {
  DecodedRequest out;
  auto messages = split_messages(bytes, "test").value();
  const auto& message = messages.at(0);
  out.type = message.type;
  out.flags = message.flags;
  out.seq = message.seq;
  out.command = message.payload[0];
  const auto attrs = split_attributes(message.payload.subspan(4), "test").value();
  for (const auto& attr : attrs) {
    if (attr.type == WGDEVICE_A_PRIVATE_KEY) {
      out.has_private_key = true;
    } else if (attr.type == WGDEVICE_A_FLAGS) {
      out.has_device_flags = true;
    } else if (attr.type == WGDEVICE_A_LISTEN_PORT) {
      out.listen_port = attr_u16(attr).value();
    } else if (attr.type == WGDEVICE_A_PEERS) {
      const auto peer_attrs = split_attributes(attr.payload, "test").value();
      for (const auto& peer_attr : peer_attrs) {
        DecodedPeer peer;
        const auto fields = split_attributes(peer_attr.payload, "test").value();
        for (const auto& field : fields) {
          switch (field.type) {
            case WGPEER_A_PUBLIC_KEY:
              std::copy(field.payload.begin(), field.payload.end(), peer.key.bytes.begin());
              break;
            case WGPEER_A_FLAGS: peer.flags = attr_u32(field).value(); break;
            case WGPEER_A_ENDPOINT: peer.has_endpoint = true; break;
            case WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL: peer.keepalive = attr_u16(field).value(); break;
            case WGPEER_A_ALLOWEDIPS: {
              const auto entries = split_attributes(field.payload, "test").value();
              for (const auto& entry : entries) {
                peer.allowed_ips.push_back(decode_allowed_ip(entry));
              }
              break;
            }
            default: break;
          }
        }
        out.peers.push_back(peer);
      }
    }
  }
  return out;
}

inline WgPublicKey key_for(std::uint32_t index) {
  WgPublicKey key;
  key.bytes.fill(0xA5);
  key.bytes[0] = static_cast<std::uint8_t>(index & 0xFFU);
  key.bytes[1] = static_cast<std::uint8_t>((index >> 8U) & 0xFFU);
  key.bytes[2] = static_cast<std::uint8_t>((index >> 16U) & 0xFFU);
  return key;
}

inline WgAllowedIp v4_prefix(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d, std::uint8_t cidr) {
  WgAllowedIp allowed;
  allowed.address.bytes[0] = a;
  allowed.address.bytes[1] = b;
  allowed.address.bytes[2] = c;
  allowed.address.bytes[3] = d;
  allowed.cidr = cidr;
  return allowed;
}

}  // namespace rustynet::backend_wireguard::kernel::testing
