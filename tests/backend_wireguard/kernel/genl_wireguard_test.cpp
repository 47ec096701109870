// SPDX-License-Identifier: Apache-2.0
// Known-byte-layout tests for the wireguard generic-netlink encoder and dump parser.
#include "kernel/genl_wireguard.hpp"

#include <gtest/gtest.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/wireguard.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <set>
#include <string>

#include "netlink_test_util.hpp"
#include "wg_test_decoder.hpp"

namespace rustynet::backend_wireguard::kernel {
namespace {

using testing::attr;
using testing::Bytes;
using testing::concat;
using testing::filled;
using testing::genl_header;
using testing::le16;
using testing::le32;
using testing::le64;
using testing::nested;
using testing::strz;

constexpr std::uint16_t kFamily = 0x1c;

Bytes to_bytes(std::span<const std::uint8_t> span) { return {span.begin(), span.end()}; }

TEST(GenlWireguard, GetFamilyRequestMatchesKnownBytes) {
  const NetlinkBuffer request = build_get_family_request(7);
  const Bytes expected = {
      0x24, 0x00, 0x00, 0x00,  // nlmsg_len 36
      0x10, 0x00,              // GENL_ID_CTRL
      0x01, 0x00,              // NLM_F_REQUEST
      0x07, 0x00, 0x00, 0x00,  // seq
      0x00, 0x00, 0x00, 0x00,  // port id (kernel fills)
      0x03, 0x01, 0x00, 0x00,  // CTRL_CMD_GETFAMILY, version 1
      0x0e, 0x00, 0x02, 0x00,  // nla_len 14, CTRL_ATTR_FAMILY_NAME
      'w',  'i',  'r',  'e',  'g', 'u', 'a', 'r', 'd', 0x00, 0x00, 0x00,
  };
  EXPECT_EQ(to_bytes(request.bytes()), expected);
}

TEST(GenlWireguard, ParsesFamilyIdAndSkipsStaleReplies) {
  const Bytes reply =
      testing::message(GENL_ID_CTRL, 0, 7,
                       concat({genl_header(CTRL_CMD_NEWFAMILY), attr(CTRL_ATTR_FAMILY_NAME, strz("wireguard")),
                               attr(CTRL_ATTR_FAMILY_ID, le16(kFamily))}));
  const Bytes stale = testing::error_message(6, ENOENT);
  const auto id = parse_get_family_reply(concat({stale, reply}), 7);
  ASSERT_TRUE(id.has_value()) << id.error().describe();
  ASSERT_TRUE(id->has_value());
  EXPECT_EQ(**id, kFamily);

  const auto nothing = parse_get_family_reply(stale, 7);
  ASSERT_TRUE(nothing.has_value());
  EXPECT_FALSE(nothing->has_value());
}

TEST(GenlWireguard, MissingFamilyNamesTheModule) {
  const auto id = parse_get_family_reply(testing::error_message(7, ENOENT), 7);
  ASSERT_FALSE(id.has_value());
  EXPECT_EQ(id.error().error_number, ENOENT);
  EXPECT_NE(id.error().describe().find("wireguard kernel module"), std::string::npos);
}

WgDeviceUpdate single_peer_update() {
  WgDeviceUpdate update;
  update.private_key = base::SecretBytes(filled(32, 0x11));
  update.listen_port = 51820;
  WgPeerUpdate peer;
  peer.public_key.bytes.fill(0x22);
  WgEndpoint endpoint;
  endpoint.address.bytes[0] = 192;
  endpoint.address.bytes[1] = 0;
  endpoint.address.bytes[2] = 2;
  endpoint.address.bytes[3] = 1;
  endpoint.port = 51820;
  peer.endpoint = endpoint;
  peer.persistent_keepalive_seconds = 25;
  peer.allowed_ips.push_back(testing::v4_prefix(10, 0, 0, 2, 32));
  update.peers.push_back(peer);
  return update;
}

TEST(GenlWireguard, SetDeviceMatchesKnownBytes) {
  const auto requests = build_set_device_requests(kFamily, "wg0", single_peer_update(), 100);
  ASSERT_TRUE(requests.has_value()) << requests.error().describe();
  ASSERT_EQ(requests->size(), 1U);
  // Nests carry NLA_F_NESTED (0x8000) exactly as libmnl writes them.
  Bytes expected = {
      0xb8, 0x00, 0x00, 0x00,                       // nlmsg_len 184
      0x1c, 0x00,                                   // family id
      0x05, 0x00,                                   // NLM_F_REQUEST | NLM_F_ACK
      0x64, 0x00, 0x00, 0x00,                       // seq 100
      0x00, 0x00, 0x00, 0x00,                       // port id
      0x01, 0x01, 0x00, 0x00,                       // WG_CMD_SET_DEVICE, version 1
      0x08, 0x00, 0x02, 0x00, 'w', 'g', '0', 0x00,  // WGDEVICE_A_IFNAME
      0x24, 0x00, 0x03, 0x00,                       // WGDEVICE_A_PRIVATE_KEY, 32 bytes follow
  };
  expected.insert(expected.end(), 32, 0x11);
  const Bytes rest = {
      0x06, 0x00, 0x06, 0x00, 0x6c, 0xca, 0x00, 0x00,  // WGDEVICE_A_LISTEN_PORT 51820 (host order) + pad
      0x70, 0x00, 0x08, 0x80,                          // WGDEVICE_A_PEERS nest, len 112
      0x6c, 0x00, 0x00, 0x80,                          // peer nest 0, len 108
      0x24, 0x00, 0x01, 0x00,                          // WGPEER_A_PUBLIC_KEY
  };
  expected.insert(expected.end(), rest.begin(), rest.end());
  expected.insert(expected.end(), 32, 0x22);
  const Bytes tail = {
      0x08, 0x00, 0x03, 0x00, 0x02, 0x00, 0x00, 0x00,  // WGPEER_A_FLAGS = REPLACE_ALLOWEDIPS
      0x14, 0x00, 0x04, 0x00,                          // WGPEER_A_ENDPOINT sockaddr_in
      0x02, 0x00, 0xca, 0x6c, 0xc0, 0x00, 0x02, 0x01,  // AF_INET, port 51820 (network order), 192.0.2.1
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // sin_zero
      0x06, 0x00, 0x05, 0x00, 0x19, 0x00, 0x00, 0x00,  // WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL 25
      0x20, 0x00, 0x09, 0x80,                          // WGPEER_A_ALLOWEDIPS nest, len 32
      0x1c, 0x00, 0x00, 0x80,                          // allowed IP nest 0, len 28
      0x06, 0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00,  // WGALLOWEDIP_A_FAMILY AF_INET
      0x08, 0x00, 0x02, 0x00, 0x0a, 0x00, 0x00, 0x02,  // WGALLOWEDIP_A_IPADDR 10.0.0.2
      0x05, 0x00, 0x03, 0x00, 0x20, 0x00, 0x00, 0x00,  // WGALLOWEDIP_A_CIDR_MASK 32
  };
  expected.insert(expected.end(), tail.begin(), tail.end());
  EXPECT_EQ(to_bytes((*requests)[0].bytes()), expected);
}

TEST(GenlWireguard, RemovePeerCarriesOnlyKeyAndRemoveFlag) {
  WgDeviceUpdate update;
  WgPeerUpdate peer;
  peer.public_key.bytes.fill(0x22);
  peer.remove = true;
  peer.allowed_ips.push_back(testing::v4_prefix(10, 0, 0, 2, 32));  // ignored for a removal
  update.peers.push_back(peer);
  const auto requests = build_set_device_requests(kFamily, "wg0", update, 1);
  ASSERT_TRUE(requests.has_value());
  Bytes expected = {
      0x50, 0x00, 0x00, 0x00, 0x1c, 0x00, 0x05, 0x00, 0x01, 0x00,
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x01, 0x00, 0x00,  // WG_CMD_SET_DEVICE
      0x08, 0x00, 0x02, 0x00, 'w',  'g',  '0',  0x00,              // IFNAME
      0x34, 0x00, 0x08, 0x80,                                      // PEERS len 52
      0x30, 0x00, 0x00, 0x80,                                      // peer len 48
      0x24, 0x00, 0x01, 0x00,                                      // PUBLIC_KEY
  };
  expected.insert(expected.end(), 32, 0x22);
  const Bytes flags = {0x08, 0x00, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00};  // WGPEER_F_REMOVE_ME
  expected.insert(expected.end(), flags.begin(), flags.end());
  EXPECT_EQ(to_bytes((*requests)[0].bytes()), expected);
}

TEST(GenlWireguard, UpdateOnlyAndAllowedIpModesSetPeerFlags) {
  WgDeviceUpdate update;
  WgPeerUpdate peer;
  peer.public_key = testing::key_for(1);
  peer.update_only = true;
  peer.replace_allowed_ips = false;
  update.peers.push_back(peer);
  const auto requests = build_set_device_requests(kFamily, "wg0", update, 1);
  ASSERT_TRUE(requests.has_value());
  const auto decoded = testing::decode_set_device((*requests)[0].bytes());
  ASSERT_EQ(decoded.peers.size(), 1U);
  EXPECT_EQ(decoded.peers[0].flags, static_cast<std::uint32_t>(WGPEER_F_UPDATE_ONLY));
  EXPECT_FALSE(decoded.has_device_flags) << "WGDEVICE_F_REPLACE_PEERS must never be sent";
}

TEST(GenlWireguard, SplitsManyPeersAcrossBoundedRequests) {
  WgDeviceUpdate update = single_peer_update();
  update.peers.clear();
  constexpr std::uint32_t kPeers = 1000;
  for (std::uint32_t i = 0; i < kPeers; ++i) {
    WgPeerUpdate peer;
    peer.public_key = testing::key_for(i);
    peer.allowed_ips.push_back(
        testing::v4_prefix(10, static_cast<std::uint8_t>(i >> 8U), static_cast<std::uint8_t>(i & 0xFFU), 1, 32));
    update.peers.push_back(peer);
  }
  constexpr std::size_t kLimit = 1024;
  const auto requests = build_set_device_requests(kFamily, "wg0", update, 50, kLimit);
  ASSERT_TRUE(requests.has_value()) << requests.error().describe();
  ASSERT_GT(requests->size(), 50U);
  std::uint32_t next_peer = 0;
  for (std::size_t index = 0; index < requests->size(); ++index) {
    const auto bytes = (*requests)[index].bytes();
    EXPECT_LE(bytes.size(), kLimit);
    const auto decoded = testing::decode_set_device(bytes);
    EXPECT_EQ(decoded.seq, 50 + index);
    EXPECT_EQ(decoded.flags, NLM_F_REQUEST | NLM_F_ACK);
    EXPECT_EQ(decoded.has_private_key, index == 0) << "private key only in the first request";
    EXPECT_EQ(decoded.listen_port.has_value(), index == 0);
    EXPECT_FALSE(decoded.has_device_flags);
    EXPECT_FALSE(decoded.peers.empty());
    for (const auto& peer : decoded.peers) {
      ASSERT_LT(next_peer, kPeers);
      EXPECT_EQ(peer.key, testing::key_for(next_peer));
      EXPECT_EQ(peer.flags, static_cast<std::uint32_t>(WGPEER_F_REPLACE_ALLOWEDIPS));
      ASSERT_EQ(peer.allowed_ips.size(), 1U);
      EXPECT_EQ(peer.allowed_ips[0], update.peers[next_peer].allowed_ips[0]);
      ++next_peer;
    }
  }
  EXPECT_EQ(next_peer, kPeers);
}

TEST(GenlWireguard, SplitsOnePeersAllowedIpsAndReplacesThemOnlyOnce) {
  WgDeviceUpdate update;
  WgPeerUpdate before;
  before.public_key = testing::key_for(1);
  update.peers.push_back(before);
  WgPeerUpdate big;
  big.public_key = testing::key_for(2);
  big.endpoint = WgEndpoint{};
  big.persistent_keepalive_seconds = 25;
  for (int i = 0; i < 300; ++i) {
    WgAllowedIp allowed;
    allowed.address.is_v6 = (i % 2) == 1;
    allowed.address.bytes[0] = 0xfd;
    allowed.address.bytes[14] = static_cast<std::uint8_t>(i >> 8);
    allowed.address.bytes[15] = static_cast<std::uint8_t>(i & 0xFF);
    allowed.cidr = allowed.address.is_v6 ? 128 : 32;
    if (!allowed.address.is_v6) {
      allowed.address.bytes[2] = static_cast<std::uint8_t>(i >> 8);
      allowed.address.bytes[3] = static_cast<std::uint8_t>(i & 0xFF);
      std::fill(allowed.address.bytes.begin() + 4, allowed.address.bytes.end(), std::uint8_t{0});
    }
    big.allowed_ips.push_back(allowed);
  }
  update.peers.push_back(big);
  WgPeerUpdate after;
  after.public_key = testing::key_for(3);
  update.peers.push_back(after);

  const auto requests = build_set_device_requests(kFamily, "wg0", update, 1, 1024);
  ASSERT_TRUE(requests.has_value()) << requests.error().describe();
  ASSERT_GT(requests->size(), 3U);
  std::vector<WgAllowedIp> seen;
  int first_chunks = 0;
  int continuation_chunks = 0;
  std::vector<WgPublicKey> order;
  for (const auto& request : *requests) {
    EXPECT_LE(request.bytes().size(), 1024U);
    for (const auto& peer : testing::decode_set_device(request.bytes()).peers) {
      if (order.empty() || order.back() != peer.key) {
        order.push_back(peer.key);
      }
      if (peer.key != big.public_key) {
        continue;
      }
      if (peer.flags == WGPEER_F_REPLACE_ALLOWEDIPS) {
        ++first_chunks;
        EXPECT_TRUE(peer.has_endpoint);
        EXPECT_EQ(peer.keepalive, std::optional<std::uint16_t>(25));
      } else {
        ++continuation_chunks;
        EXPECT_EQ(peer.flags, static_cast<std::uint32_t>(WGPEER_F_UPDATE_ONLY));
        EXPECT_FALSE(peer.has_endpoint);
        EXPECT_FALSE(peer.keepalive.has_value());
      }
      seen.insert(seen.end(), peer.allowed_ips.begin(), peer.allowed_ips.end());
    }
  }
  EXPECT_EQ(first_chunks, 1);
  EXPECT_GE(continuation_chunks, 2);
  EXPECT_EQ(seen, big.allowed_ips);
  const std::vector<WgPublicKey> expected_order = {before.public_key, big.public_key, after.public_key};
  EXPECT_EQ(order, expected_order);
}

TEST(GenlWireguard, TenThousandPeersFitTheDefaultMessageSize) {
  WgDeviceUpdate update;
  for (std::uint32_t i = 0; i < 10000; ++i) {
    WgPeerUpdate peer;
    peer.public_key = testing::key_for(i);
    peer.allowed_ips.push_back(
        testing::v4_prefix(10, static_cast<std::uint8_t>(i >> 8U), static_cast<std::uint8_t>(i & 0xFFU), 0, 24));
    update.peers.push_back(peer);
  }
  const auto requests = build_set_device_requests(kFamily, "wg0", update, 1);
  ASSERT_TRUE(requests.has_value());
  std::size_t peers = 0;
  for (const auto& request : *requests) {
    EXPECT_LE(request.bytes().size(), kDefaultMaxMessageSize);
    peers += testing::decode_set_device(request.bytes()).peers.size();
  }
  EXPECT_EQ(peers, 10000U);
  // ~100 bytes per peer: the split must pack messages, not send one peer per message.
  EXPECT_LT(requests->size(), 200U);
}

TEST(GenlWireguard, RejectsInvalidInputsWithoutLeakingTheKey) {
  WgDeviceUpdate bad_key;
  bad_key.private_key = base::SecretBytes(filled(31, 0x5a));
  const auto key_error = build_set_device_requests(kFamily, "wg0", bad_key, 1);
  ASSERT_FALSE(key_error.has_value());
  EXPECT_EQ(key_error.error().error_number, EINVAL);
  EXPECT_EQ(key_error.error().describe().find("5a"), std::string::npos);

  EXPECT_FALSE(build_set_device_requests(kFamily, "", WgDeviceUpdate{}, 1).has_value());
  EXPECT_FALSE(build_set_device_requests(kFamily, "sixteen-chars-xx", WgDeviceUpdate{}, 1).has_value());
  EXPECT_FALSE(build_set_device_requests(kFamily, "wg0", WgDeviceUpdate{}, 1, 100).has_value());
  EXPECT_FALSE(build_set_device_requests(kFamily, "wg0", WgDeviceUpdate{}, 1, 70000).has_value());

  WgDeviceUpdate bad_prefix;
  WgPeerUpdate peer;
  peer.allowed_ips.push_back(testing::v4_prefix(10, 0, 0, 0, 33));
  bad_prefix.peers.push_back(peer);
  EXPECT_FALSE(build_set_device_requests(kFamily, "wg0", bad_prefix, 1).has_value());
}

TEST(GenlWireguard, EmptyUpdateIsOneRequestWithOnlyTheInterface) {
  const auto requests = build_set_device_requests(kFamily, "wg0", WgDeviceUpdate{}, 9);
  ASSERT_TRUE(requests.has_value());
  ASSERT_EQ(requests->size(), 1U);
  EXPECT_EQ((*requests)[0].bytes().size(), 28U);  // header + genl + IFNAME
}

TEST(GenlWireguard, GetDeviceRequestMatchesKnownBytes) {
  const auto request = build_get_device_request(kFamily, "wg0", 3);
  ASSERT_TRUE(request.has_value());
  const Bytes expected = {
      0x1c, 0x00, 0x00, 0x00, 0x1c, 0x00, 0x01, 0x03,  // len 28, family, NLM_F_REQUEST | NLM_F_DUMP
      0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // seq 3, port id
      0x00, 0x01, 0x00, 0x00,                          // WG_CMD_GET_DEVICE, version 1
      0x08, 0x00, 0x02, 0x00, 'w',  'g',  '0',  0x00,  // IFNAME
  };
  EXPECT_EQ(to_bytes(request->bytes()), expected);
}

Bytes allowed_ip_v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d, std::uint8_t cidr) {
  return nested(0, {attr(WGALLOWEDIP_A_FAMILY, le16(AF_INET)), attr(WGALLOWEDIP_A_IPADDR, Bytes{a, b, c, d}),
                    attr(WGALLOWEDIP_A_CIDR_MASK, Bytes{cidr})});
}

Bytes allowed_ip_v6_fd00_64() {
  Bytes address(16, 0);
  address[0] = 0xfd;
  return nested(0, {attr(WGALLOWEDIP_A_FAMILY, le16(AF_INET6)), attr(WGALLOWEDIP_A_IPADDR, address),
                    attr(WGALLOWEDIP_A_CIDR_MASK, Bytes{64})});
}

// What the kernel sends for a device with two peers, the second's allowed IPs split over two
// messages (second message repeats only the peer's public key), then NLMSG_DONE.
std::vector<Bytes> kernel_dump(std::uint32_t seq) {
  const Bytes endpoint_v6 = concat({le16(AF_INET6), Bytes{0xca, 0x6c}, le32(0),
                                    Bytes{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, le32(0)});
  const Bytes handshake = concat({le64(1700000000), le64(5)});
  const Bytes peer_a =
      nested(0, {attr(WGPEER_A_PUBLIC_KEY, filled(32, 0x44)), attr(WGPEER_A_PRESHARED_KEY, filled(32, 0x55)),
                 attr(WGPEER_A_LAST_HANDSHAKE_TIME, handshake), attr(WGPEER_A_RX_BYTES, le64(1234)),
                 attr(WGPEER_A_TX_BYTES, le64(5678)), attr(WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL, le16(25)),
                 attr(WGPEER_A_PROTOCOL_VERSION, le32(1)), attr(WGPEER_A_ENDPOINT, endpoint_v6),
                 nested(WGPEER_A_ALLOWEDIPS, {allowed_ip_v4(10, 0, 0, 2, 32), allowed_ip_v6_fd00_64()})});
  const Bytes peer_b_first =
      nested(0, {attr(WGPEER_A_PUBLIC_KEY, filled(32, 0x66)), attr(WGPEER_A_RX_BYTES, le64(7)),
                 attr(WGPEER_A_TX_BYTES, le64(8)), nested(WGPEER_A_ALLOWEDIPS, {allowed_ip_v4(10, 0, 1, 0, 24)})});
  const Bytes peer_b_rest = nested(
      0, {attr(WGPEER_A_PUBLIC_KEY, filled(32, 0x66)), nested(WGPEER_A_ALLOWEDIPS, {allowed_ip_v4(10, 0, 2, 0, 24)})});
  const Bytes first = testing::message(
      kFamily, NLM_F_MULTI, seq,
      concat({genl_header(WG_CMD_GET_DEVICE), attr(WGDEVICE_A_LISTEN_PORT, le16(51820)),
              attr(WGDEVICE_A_FWMARK, le32(0x42)), attr(WGDEVICE_A_IFINDEX, le32(5)),
              attr(WGDEVICE_A_IFNAME, strz("wg0")), attr(WGDEVICE_A_PRIVATE_KEY, filled(32, 0x11)),
              attr(WGDEVICE_A_PUBLIC_KEY, filled(32, 0x33)), nested(WGDEVICE_A_PEERS, {peer_a, peer_b_first})}));
  const Bytes second = testing::message(
      kFamily, NLM_F_MULTI, seq, concat({genl_header(WG_CMD_GET_DEVICE), nested(WGDEVICE_A_PEERS, {peer_b_rest})}));
  return {first, second, testing::done_message(seq)};
}

void expect_known_state(const WgDeviceState& state) {
  ASSERT_TRUE(state.public_key.has_value());
  EXPECT_EQ(to_bytes(state.public_key->bytes), filled(32, 0x33));
  EXPECT_EQ(state.listen_port, 51820);
  EXPECT_EQ(state.fwmark, 0x42U);
  ASSERT_EQ(state.peers.size(), 2U);
  const auto& a = state.peers[0];
  EXPECT_EQ(a.public_key.bytes[31], 0x44);
  ASSERT_TRUE(a.endpoint.has_value());
  EXPECT_TRUE(a.endpoint->address.is_v6);
  EXPECT_EQ(a.endpoint->address.bytes[0], 0x20);
  EXPECT_EQ(a.endpoint->address.bytes[15], 1);
  EXPECT_EQ(a.endpoint->port, 51820);
  EXPECT_EQ(a.persistent_keepalive_seconds, 25);
  EXPECT_EQ(a.rx_bytes, 1234U);
  EXPECT_EQ(a.tx_bytes, 5678U);
  EXPECT_EQ(a.last_handshake_unix_seconds, 1700000000);
  EXPECT_EQ(a.last_handshake_nanoseconds, 5);
  ASSERT_EQ(a.allowed_ips.size(), 2U);
  EXPECT_EQ(a.allowed_ips[0], testing::v4_prefix(10, 0, 0, 2, 32));
  EXPECT_TRUE(a.allowed_ips[1].address.is_v6);
  EXPECT_EQ(a.allowed_ips[1].cidr, 64);
  const auto& b = state.peers[1];
  EXPECT_EQ(b.public_key.bytes[0], 0x66);
  EXPECT_EQ(b.rx_bytes, 7U) << "continuation must not reset the first chunk's counters";
  EXPECT_EQ(b.tx_bytes, 8U);
  const std::vector<WgAllowedIp> b_ips = {testing::v4_prefix(10, 0, 1, 0, 24), testing::v4_prefix(10, 0, 2, 0, 24)};
  EXPECT_EQ(b.allowed_ips, b_ips);
}

TEST(GenlWireguard, ParsesKernelDumpSplitAcrossDatagrams) {
  DeviceDumpParser parser(kFamily, 12, "WG_CMD_GET_DEVICE wg0");
  const auto dump = kernel_dump(12);
  for (std::size_t i = 0; i < dump.size(); ++i) {
    const auto progress = parser.feed(dump[i]);
    ASSERT_TRUE(progress.has_value()) << progress.error().describe();
    EXPECT_EQ(*progress, i + 1 == dump.size() ? ReplyProgress::kDone : ReplyProgress::kMore);
  }
  EXPECT_FALSE(parser.interrupted());
  expect_known_state(parser.state());
}

TEST(GenlWireguard, ParsesKernelDumpWithSeveralMessagesPerDatagram) {
  DeviceDumpParser parser(kFamily, 12, "WG_CMD_GET_DEVICE wg0");
  const auto dump = kernel_dump(12);
  const auto stale = kernel_dump(11);
  const auto progress = parser.feed(concat({stale[0], dump[0], dump[1], dump[2]}));
  ASSERT_TRUE(progress.has_value()) << progress.error().describe();
  EXPECT_EQ(*progress, ReplyProgress::kDone);
  expect_known_state(parser.state());
}

TEST(GenlWireguard, DumpErrorsCarryErrnoAndOperation) {
  DeviceDumpParser parser(kFamily, 4, "WG_CMD_GET_DEVICE wg9");
  const auto result = parser.feed(testing::error_message(4, ENODEV));
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().error_number, ENODEV);
  EXPECT_NE(result.error().describe().find("WG_CMD_GET_DEVICE wg9"), std::string::npos);

  DeviceDumpParser done_error(kFamily, 4, "op");
  const auto done =
      done_error.feed(testing::message(NLMSG_DONE, NLM_F_MULTI, 4, le32(static_cast<std::uint32_t>(-EINTR))));
  ASSERT_FALSE(done.has_value());
  EXPECT_EQ(done.error().error_number, EINTR);
}

TEST(GenlWireguard, DumpInterruptedFlagIsReported) {
  DeviceDumpParser parser(kFamily, 12, "op");
  auto dump = kernel_dump(12);
  dump[1][6] = static_cast<std::uint8_t>(dump[1][6] | NLM_F_DUMP_INTR);
  for (const auto& datagram : dump) {
    ASSERT_TRUE(parser.feed(datagram).has_value());
  }
  EXPECT_TRUE(parser.interrupted());
}

TEST(GenlWireguard, TruncatedOrCorruptDumpsFailCleanly) {
  const Bytes first = kernel_dump(12)[0];
  for (std::size_t size = 1; size < first.size(); ++size) {
    DeviceDumpParser parser(kFamily, 12, "op");
    const Bytes truncated(first.begin(), first.begin() + static_cast<std::ptrdiff_t>(size));
    const auto result = parser.feed(truncated);
    EXPECT_FALSE(result.has_value() && *result == ReplyProgress::kDone) << size;
  }
  // Corrupt every byte in turn (bit flips): the parser may accept or reject, never read out of bounds.
  for (std::size_t index = 0; index < first.size(); ++index) {
    Bytes corrupt = first;
    corrupt[index] = static_cast<std::uint8_t>(corrupt[index] ^ 0xFFU);
    DeviceDumpParser parser(kFamily, 12, "op");
    (void)parser.feed(corrupt);
  }
  // A peer without a public key is rejected.
  DeviceDumpParser parser(kFamily, 1, "op");
  const auto keyless = parser.feed(
      testing::message(kFamily, NLM_F_MULTI, 1,
                       concat({genl_header(WG_CMD_GET_DEVICE),
                               nested(WGDEVICE_A_PEERS, {nested(0, {attr(WGPEER_A_RX_BYTES, le64(1))})})})));
  ASSERT_FALSE(keyless.has_value());
}

TEST(GenlWireguard, AckParsing) {
  const auto ack = parse_ack(testing::error_message(9, 0), 9, "op");
  ASSERT_TRUE(ack.has_value());
  EXPECT_EQ(*ack, ReplyProgress::kDone);
  const auto stale = parse_ack(testing::error_message(8, EINVAL), 9, "op");
  ASSERT_TRUE(stale.has_value());
  EXPECT_EQ(*stale, ReplyProgress::kMore);
  const auto rejected = parse_ack(testing::error_message(9, EINVAL), 9, "WG_CMD_SET_DEVICE wg0");
  ASSERT_FALSE(rejected.has_value());
  EXPECT_EQ(rejected.error().error_number, EINVAL);
  EXPECT_EQ(rejected.error().operation, "WG_CMD_SET_DEVICE wg0");
}

}  // namespace
}  // namespace rustynet::backend_wireguard::kernel
