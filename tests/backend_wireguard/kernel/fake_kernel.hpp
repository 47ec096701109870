// SPDX-License-Identifier: Apache-2.0
// A small in-memory model of the kernel's wireguard genl family for driver tests: resolves the
// family, applies WG_CMD_SET_DEVICE peer semantics and answers dumps split like the kernel does.
#pragma once

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/wireguard.h>
#include <sys/socket.h>

#include <cerrno>
#include <map>
#include <optional>
#include <set>

#include "netlink_test_util.hpp"
#include "wg_test_decoder.hpp"

namespace rustynet::backend_wireguard::kernel::testing {

class FakeKernel {
 public:
  static constexpr std::uint16_t kFamily = 0x1c;

  struct Peer {
    std::vector<WgAllowedIp> allowed_ips;
    std::uint64_t rx_bytes = 0;
  };

  bool module_loaded = true;
  // Requests with this 1-based WG_CMD_SET_DEVICE index fail with set_error.
  std::optional<std::size_t> fail_set_request;
  int set_error = EINVAL;
  // Dump shape: peers per message and allowed IPs per peer chunk.
  std::size_t peers_per_message = 3;
  std::size_t ips_per_chunk = 2;
  // Flag the first N dumps as interrupted.
  int interrupt_dumps = 0;
  std::size_t set_requests = 0;
  std::size_t family_requests = 0;
  std::map<WgPublicKey, Peer> peers;
  std::vector<WgPublicKey> order;

  std::vector<Bytes> respond(std::span<const std::uint8_t> request) {
    const std::uint32_t seq = seq_of(request);
    const std::uint16_t type = type_of(request);
    if (type == GENL_ID_CTRL) {
      ++family_requests;
      if (!module_loaded) {
        return {error_message(seq, ENOENT)};
      }
      return {message(GENL_ID_CTRL, 0, seq,
                      concat({genl_header(CTRL_CMD_NEWFAMILY), attr(CTRL_ATTR_FAMILY_ID, le16(kFamily))}))};
    }
    if (type != kFamily) {
      return {error_message(seq, EOPNOTSUPP)};
    }
    if (request[16] == WG_CMD_SET_DEVICE) {
      ++set_requests;
      if (fail_set_request == set_requests) {
        return {error_message(seq, set_error)};
      }
      apply(decode_set_device(request));
      return {error_message(seq, 0)};
    }
    return dump(seq);
  }

 private:
  void apply(const DecodedRequest& request) {
    for (const auto& update : request.peers) {
      auto found = peers.find(update.key);
      if ((update.flags & WGPEER_F_REMOVE_ME) != 0) {
        if (found != peers.end()) {
          peers.erase(found);
          order.erase(std::find(order.begin(), order.end(), update.key));
        }
        continue;
      }
      if (found == peers.end()) {
        if ((update.flags & WGPEER_F_UPDATE_ONLY) != 0) {
          continue;
        }
        found = peers.emplace(update.key, Peer{}).first;
        order.push_back(update.key);
      }
      if ((update.flags & WGPEER_F_REPLACE_ALLOWEDIPS) != 0) {
        found->second.allowed_ips.clear();
      }
      found->second.allowed_ips.insert(found->second.allowed_ips.end(), update.allowed_ips.begin(),
                                       update.allowed_ips.end());
    }
  }

  static Bytes encode_ip(const WgAllowedIp& ip) {
    const std::size_t size = ip.address.is_v6 ? 16 : 4;
    return nested(0, {attr(WGALLOWEDIP_A_FAMILY, le16(ip.address.is_v6 ? AF_INET6 : AF_INET)),
                      attr(WGALLOWEDIP_A_IPADDR, Bytes(ip.address.bytes.begin(),
                                                       ip.address.bytes.begin() + static_cast<std::ptrdiff_t>(size))),
                      attr(WGALLOWEDIP_A_CIDR_MASK, Bytes{ip.cidr})});
  }

  std::vector<Bytes> dump(std::uint32_t seq) {
    const auto flags = static_cast<std::uint16_t>(NLM_F_MULTI | (interrupt_dumps-- > 0 ? NLM_F_DUMP_INTR : 0));
    // One peer nest per chunk; a peer with more than ips_per_chunk allowed IPs spans several,
    // each repeating only its public key, as the kernel does.
    std::vector<Bytes> chunks;
    for (const auto& key : order) {
      const Peer& peer = peers.at(key);
      std::size_t ip = 0;
      bool first = true;
      do {
        Bytes ips;
        const std::size_t end = std::min(peer.allowed_ips.size(), ip + ips_per_chunk);
        for (; ip < end; ++ip) {
          const Bytes one = encode_ip(peer.allowed_ips[ip]);
          ips.insert(ips.end(), one.begin(), one.end());
        }
        Bytes body = attr(WGPEER_A_PUBLIC_KEY, Bytes(key.bytes.begin(), key.bytes.end()));
        if (first) {
          body = concat({body, attr(WGPEER_A_RX_BYTES, le64(peer.rx_bytes)), attr(WGPEER_A_TX_BYTES, le64(0))});
        }
        body = concat({body, attr(WGPEER_A_ALLOWEDIPS | 0x8000U, ips)});
        chunks.push_back(attr(0x8000U, body));
        first = false;
      } while (ip < peer.allowed_ips.size());
    }
    std::vector<Bytes> out;
    std::size_t index = 0;
    bool first_message = true;
    do {
      Bytes peers_payload;
      for (std::size_t n = 0; n < peers_per_message && index < chunks.size(); ++n, ++index) {
        peers_payload.insert(peers_payload.end(), chunks[index].begin(), chunks[index].end());
      }
      Bytes payload = genl_header(WG_CMD_GET_DEVICE);
      if (first_message) {
        payload =
            concat({payload, attr(WGDEVICE_A_LISTEN_PORT, le16(51820)), attr(WGDEVICE_A_PRIVATE_KEY, filled(32, 0x11)),
                    attr(WGDEVICE_A_PUBLIC_KEY, filled(32, 0x33))});
      }
      payload = concat({payload, attr(WGDEVICE_A_PEERS | 0x8000U, peers_payload)});
      out.push_back(message(kFamily, flags, seq, payload));
      first_message = false;
    } while (index < chunks.size());
    out.push_back(done_message(seq));
    return out;
  }
};

}  // namespace rustynet::backend_wireguard::kernel::testing
