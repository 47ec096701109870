// SPDX-License-Identifier: Apache-2.0
// rtnetlink message building and dump parsing against hand-computed byte layouts.
#include "rtnl.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string_view>
#include <vector>

namespace rustynet::backend_wireguard {
namespace {

using Bytes = std::vector<std::uint8_t>;

WgAddress v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
  WgAddress address;
  address.bytes[0] = a;
  address.bytes[1] = b;
  address.bytes[2] = c;
  address.bytes[3] = d;
  return address;
}

void put_u16(Bytes& out, std::uint16_t value) {
  out.push_back(static_cast<std::uint8_t>(value & 0xFFU));
  out.push_back(static_cast<std::uint8_t>(value >> 8U));
}

void put_u32(Bytes& out, std::uint32_t value) {
  for (int shift = 0; shift < 32; shift += 8) {
    out.push_back(static_cast<std::uint8_t>((value >> static_cast<unsigned>(shift)) & 0xFFU));
  }
}

// A netlink attribute, written independently of libmnl: len, type, payload, pad to 4.
void put_attr(Bytes& out, std::uint16_t type, const Bytes& payload) {
  put_u16(out, static_cast<std::uint16_t>(4 + payload.size()));
  put_u16(out, type);
  out.insert(out.end(), payload.begin(), payload.end());
  while (out.size() % 4 != 0) {
    out.push_back(0);
  }
}

Bytes str_payload(std::string_view text) {
  Bytes out(text.begin(), text.end());
  out.push_back(0);
  return out;
}

Bytes header(std::uint32_t length, std::uint16_t type, std::uint16_t flags, std::uint32_t seq) {
  Bytes out;
  put_u32(out, length);
  put_u16(out, type);
  put_u16(out, flags);
  put_u32(out, seq);
  put_u32(out, 0);  // pid
  return out;
}

TEST(RtnlMessageTest, LinkUpWithMtu) {
  const Bytes expected = {
      0x28, 0x00, 0x00, 0x00, 0x10, 0x00, 0x05, 0x00, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // nlmsghdr
      0x00, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,  // ifinfomsg
      0x08, 0x00, 0x04, 0x00, 0x8c, 0x05, 0x00, 0x00,                                                  // IFLA_MTU 1420
  };
  EXPECT_EQ(build_link_change(7, LinkChange{.index = 5, .up = true, .mtu = 1420, .alias = std::nullopt}), expected);
}

TEST(RtnlMessageTest, LinkDownWithAliasAndDelete) {
  Bytes expected = header(16 + 16 + 8, 16, 0x05, 1);
  const Bytes info = {0x00, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00};
  expected.insert(expected.end(), info.begin(), info.end());
  put_attr(expected, 20 /*IFLA_IFALIAS*/, str_payload("abc"));
  EXPECT_EQ(build_link_change(1, LinkChange{.index = 3, .up = false, .mtu = std::nullopt, .alias = "abc"}), expected);

  const Bytes deletion = {
      0x20, 0x00, 0x00, 0x00, 0x11, 0x00, 0x05, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      0x00, 0x00, 0x00, 0x00, 0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  };
  EXPECT_EQ(build_link_delete(2, 9), deletion);
}

TEST(RtnlMessageTest, AddIpv4Address) {
  const Bytes expected = {
      0x28, 0x00, 0x00, 0x00, 0x14, 0x00, 0x05, 0x05, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // NEWADDR
      0x02, 0x18, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00,                                                  // ifaddrmsg
      0x08, 0x00, 0x02, 0x00, 0x0a, 0x00, 0x00, 0x01,                                                  // IFA_LOCAL
      0x08, 0x00, 0x01, 0x00, 0x0a, 0x00, 0x00, 0x01,                                                  // IFA_ADDRESS
  };
  EXPECT_EQ(build_address(3, true, 2, NetPrefix{.address = v4(10, 0, 0, 1), .length = 24}), expected);
}

TEST(RtnlMessageTest, DeleteIpv6AddressHasNoDadFlag) {
  WgAddress six;
  six.is_v6 = true;
  six.bytes = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  Bytes expected = header(16 + 8 + 20 + 20, 21 /*RTM_DELADDR*/, 0x05, 4);
  const Bytes info = {0x0a, 0x40, 0x02, 0x00, 0x06, 0x00, 0x00, 0x00};
  expected.insert(expected.end(), info.begin(), info.end());
  const Bytes payload(six.bytes.begin(), six.bytes.end());
  put_attr(expected, 2, payload);
  put_attr(expected, 1, payload);
  EXPECT_EQ(build_address(4, false, 6, NetPrefix{.address = six, .length = 64}), expected);
}

TEST(RtnlMessageTest, RoutesCarryOurProtocolAndNeverReplace) {
  const Bytes added = {
      0x2c, 0x00, 0x00, 0x00, 0x18, 0x00, 0x05, 0x06, 0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // NEWROUTE EXCL
      0x02, 0x10, 0x00, 0x00, 0xfe, 0x8e, 0xfd, 0x01, 0x00, 0x00, 0x00, 0x00,                          // rtmsg
      0x08, 0x00, 0x01, 0x00, 0x0a, 0x09, 0x00, 0x00,                                                  // RTA_DST
      0x08, 0x00, 0x04, 0x00, 0x03, 0x00, 0x00, 0x00,                                                  // RTA_OIF
  };
  const RouteEntry route{.destination = NetPrefix{.address = v4(10, 9, 0, 0), .length = 16}, .gateway = std::nullopt};
  EXPECT_EQ(build_route(9, true, 3, route), added);
  Bytes removed = added;
  removed[4] = 0x19;  // RTM_DELROUTE
  removed[6] = 0x05;  // REQUEST|ACK only
  removed[7] = 0x00;
  removed[8] = 0x0a;   // seq 10
  removed[22] = 0xff;  // RT_SCOPE_NOWHERE
  removed[23] = 0x00;  // type unspecified
  EXPECT_EQ(build_route(10, false, 3, route), removed);
}

Bytes link_message(int index, std::uint32_t flags, std::string_view name, std::uint32_t mtu, std::string_view alias) {
  Bytes body = {0x00, 0x00, 0x00, 0x00};
  put_u32(body, static_cast<std::uint32_t>(index));
  put_u32(body, flags);
  put_u32(body, 0);
  put_attr(body, 3 /*IFLA_IFNAME*/, str_payload(name));
  Bytes mtu_payload;
  put_u32(mtu_payload, mtu);
  put_attr(body, 4 /*IFLA_MTU*/, mtu_payload);
  if (!alias.empty()) {
    put_attr(body, 20 /*IFLA_IFALIAS*/, str_payload(alias));
  }
  Bytes out = header(static_cast<std::uint32_t>(16 + body.size()), 16 /*RTM_NEWLINK*/, 0x02, 1);
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

TEST(RtnlMessageTest, ParsesLinkDumpEntry) {
  const auto link = parse_link_message(link_message(12, 0x1043, "rnwg0", 1420, "rustynet-managed"));
  ASSERT_TRUE(link.has_value());
  EXPECT_EQ(link->index, 12);
  EXPECT_EQ(link->name, "rnwg0");
  EXPECT_EQ(link->mtu, 1420U);
  EXPECT_EQ(link->flags, 0x1043U);
  EXPECT_EQ(link->alias, "rustynet-managed");

  const auto plain = parse_link_message(link_message(1, 0, "lo", 65536, ""));
  ASSERT_TRUE(plain.has_value());
  EXPECT_TRUE(plain->alias.empty());
}

TEST(RtnlMessageTest, RejectsTruncatedAndForeignMessages) {
  Bytes message = link_message(12, 0, "rnwg0", 1420, "");
  Bytes truncated(message.begin(), message.begin() + 20);
  EXPECT_FALSE(parse_link_message(truncated).has_value());
  Bytes lying = message;
  lying[0] = 0xff;  // nlmsg_len beyond the buffer
  EXPECT_FALSE(parse_link_message(lying).has_value());
  EXPECT_FALSE(parse_address_message(message).has_value());  // wrong type
  EXPECT_FALSE(parse_link_message(Bytes{}).has_value());
}

TEST(RtnlMessageTest, ParsesAddressDumpEntry) {
  Bytes body = {0x02, 0x18, 0x80, 0x00};
  put_u32(body, 7);
  put_attr(body, 1, Bytes{10, 0, 0, 9});
  put_attr(body, 2, Bytes{10, 0, 0, 1});
  Bytes message = header(static_cast<std::uint32_t>(16 + body.size()), 20, 0x02, 1);
  message.insert(message.end(), body.begin(), body.end());
  const auto entry = parse_address_message(message);
  ASSERT_TRUE(entry.has_value());
  EXPECT_EQ(entry->first, 7);
  EXPECT_EQ(entry->second, (NetPrefix{.address = v4(10, 0, 0, 1), .length = 24}));  // IFA_LOCAL wins
}

Bytes route_message(std::uint8_t protocol, std::uint32_t oif, std::uint8_t table) {
  Bytes body = {0x02, 0x10, 0x00, 0x00, table, protocol, 0xfd, 0x01, 0x00, 0x00, 0x00, 0x00};
  put_attr(body, 1, Bytes{10, 9, 0, 0});
  Bytes oif_payload;
  put_u32(oif_payload, oif);
  put_attr(body, 4, oif_payload);
  Bytes message = header(static_cast<std::uint32_t>(16 + body.size()), 24, 0x02, 1);
  message.insert(message.end(), body.begin(), body.end());
  return message;
}

TEST(RtnlMessageTest, RouteDumpKeepsOnlyOurRoutesOnOurLink) {
  const auto ours = parse_route_message(route_message(kRouteProtocol, 3, 254), 3);
  ASSERT_TRUE(ours.has_value());
  EXPECT_EQ(ours->destination, (NetPrefix{.address = v4(10, 9, 0, 0), .length = 16}));
  EXPECT_FALSE(ours->gateway.has_value());
  EXPECT_FALSE(parse_route_message(route_message(4 /*static*/, 3, 254), 3).has_value());
  EXPECT_FALSE(parse_route_message(route_message(kRouteProtocol, 4, 254), 3).has_value());
  EXPECT_FALSE(parse_route_message(route_message(kRouteProtocol, 3, 255 /*local*/), 3).has_value());
}

// Found by fuzz_netlink_reply: libmnl walks attributes up to the 4-aligned end of a message, so
// an unaligned nlmsg_len at the very end of the buffer let the last attribute's payload extend one
// byte past it. Such a message is refused (the kernel always sends aligned lengths).
TEST(RtnlMessageTest, UnalignedLengthCannotReadPastTheBuffer) {
  Bytes message = route_message(kRouteProtocol, 3, 254);
  put_attr(message, 5 /*RTA_GATEWAY*/, Bytes{10, 0, 0, 1});
  message.pop_back();  // the buffer now ends one byte before the gateway attribute does
  Bytes length;
  put_u32(length, static_cast<std::uint32_t>(message.size()));  // nlmsg_len: 4 bytes, little-endian
  std::copy(length.begin(), length.end(), message.begin());
  EXPECT_FALSE(parse_route_message(message, 3).has_value());
}

// Found by fuzz_netlink_reply after the fix above: nlmsg_len 0xFFFFFFFF aligned in 32-bit
// arithmetic wraps to 0 and passed the bound.
TEST(RtnlMessageTest, LengthNearTheTypeLimitIsRefused) {
  Bytes message = header(0xFFFFFFFFU, 20 /*RTM_NEWADDR*/, 0, 1);
  EXPECT_FALSE(parse_address_message(message).has_value());
  message = header(0xFFFFFFFDU, 24 /*RTM_NEWROUTE*/, 0, 1);
  EXPECT_FALSE(parse_route_message(message, 3).has_value());
  message = header(0xFFFFFFFEU, 16 /*RTM_NEWLINK*/, 0, 1);
  EXPECT_FALSE(parse_link_message(message).has_value());
}

}  // namespace
}  // namespace rustynet::backend_wireguard
