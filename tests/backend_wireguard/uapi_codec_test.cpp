// SPDX-License-Identifier: Apache-2.0
// UAPI text protocol: exact request bytes, reply parsing, strictness and secret handling.
#include "uapi_codec.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <numeric>
#include <string>

namespace rustynet::backend_wireguard {
namespace {

WgPublicKey key_of(std::uint8_t fill) {
  WgPublicKey key;
  key.bytes.fill(fill);
  return key;
}

WgAddress v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
  WgAddress address;
  address.bytes[0] = a;
  address.bytes[1] = b;
  address.bytes[2] = c;
  address.bytes[3] = d;
  return address;
}

std::string repeat(std::string_view unit, std::size_t times) {
  std::string out;
  for (std::size_t i = 0; i < times; ++i) {
    out += unit;
  }
  return out;
}

std::string as_text(std::span<const std::uint8_t> bytes) { return std::string(bytes.begin(), bytes.end()); }

TEST(UapiCodecTest, EncodesPerPeerUpdatesWithoutReplacePeers) {
  WgDeviceUpdate update;
  std::vector<std::uint8_t> private_key(32);
  std::iota(private_key.begin(), private_key.end(), std::uint8_t{0});
  update.private_key = base::SecretBytes(private_key);
  update.listen_port = 51820;
  update.fwmark = 7;
  WgPeerUpdate added;
  added.public_key = key_of(0xab);
  added.endpoint = WgEndpoint{.address = v4(192, 0, 2, 1), .port = 51821};
  added.persistent_keepalive_seconds = 25;
  added.allowed_ips = {WgAllowedIp{.address = v4(10, 1, 0, 0), .cidr = 16}};
  WgPeerUpdate removed;
  removed.public_key = key_of(0x01);
  removed.remove = true;
  WgPeerUpdate updated;
  updated.public_key = key_of(0x02);
  updated.update_only = true;
  updated.replace_allowed_ips = false;
  update.peers = {added, removed, updated};

  const UapiSetRequest request = encode_uapi_set(update);
  EXPECT_EQ(as_text(request.key_line.view()),
            "private_key=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n");
  EXPECT_EQ(request.body,
            "listen_port=51820\n"
            "fwmark=7\n"
            "public_key=" +
                repeat("ab", 32) +
                "\n"
                "endpoint=192.0.2.1:51821\n"
                "persistent_keepalive_interval=25\n"
                "replace_allowed_ips=true\n"
                "allowed_ip=10.1.0.0/16\n"
                "public_key=" +
                repeat("01", 32) +
                "\n"
                "remove=true\n"
                "public_key=" +
                repeat("02", 32) +
                "\n"
                "update_only=true\n"
                "\n");
  EXPECT_EQ(request.body.find("replace_peers"), std::string::npos);
  EXPECT_EQ(request.body.find("private_key"), std::string::npos);
}

TEST(UapiCodecTest, EncodesIpv6EndpointsAndPrefixes) {
  WgDeviceUpdate update;
  WgPeerUpdate peer;
  peer.public_key = key_of(0x11);
  WgAddress v6;
  v6.is_v6 = true;
  v6.bytes = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  peer.endpoint = WgEndpoint{.address = v6, .port = 443};
  WgAddress net6;
  net6.is_v6 = true;
  net6.bytes = {0xfd, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  peer.allowed_ips = {WgAllowedIp{.address = net6, .cidr = 64}};
  update.peers = {peer};
  const UapiSetRequest request = encode_uapi_set(update);
  EXPECT_TRUE(request.key_line.empty());
  EXPECT_NE(request.body.find("endpoint=[2001:db8::1]:443\n"), std::string::npos);
  EXPECT_NE(request.body.find("allowed_ip=fd00::/64\n"), std::string::npos);
}

TEST(UapiCodecTest, ParsesGetReplyAndDropsSecrets) {
  const std::string reply = "private_key=" + std::string(64, 'e') +
                            "\n"
                            "listen_port=51820\n"
                            "fwmark=3\n"
                            "public_key=" +
                            hex_encode(key_of(0xab).bytes) +
                            "\n"
                            "preshared_key=" +
                            std::string(64, '0') +
                            "\n"
                            "protocol_version=1\n"
                            "endpoint=[2001:db8::1]:51821\n"
                            "last_handshake_time_sec=1700000000\n"
                            "last_handshake_time_nsec=42\n"
                            "tx_bytes=100\n"
                            "rx_bytes=200\n"
                            "persistent_keepalive_interval=25\n"
                            "allowed_ip=10.1.0.0/16\n"
                            "allowed_ip=fd00::/64\n"
                            "public_key=" +
                            hex_encode(key_of(0x01).bytes) +
                            "\n"
                            "endpoint=192.0.2.9:1\n"
                            "errno=0\n"
                            "\n";
  auto state = parse_uapi_get_reply(reply);
  ASSERT_TRUE(state.has_value()) << state.error().describe();
  EXPECT_EQ(state->listen_port, 51820);
  EXPECT_EQ(state->fwmark, 3U);
  ASSERT_EQ(state->peers.size(), 2U);
  const WgPeerState& first = state->peers[0];
  EXPECT_EQ(first.public_key, key_of(0xab));
  ASSERT_TRUE(first.endpoint.has_value());
  EXPECT_EQ(format_endpoint(*first.endpoint), "[2001:db8::1]:51821");
  EXPECT_EQ(first.last_handshake_unix_seconds, 1700000000);
  EXPECT_EQ(first.last_handshake_nanoseconds, 42);
  EXPECT_EQ(first.tx_bytes, 100U);
  EXPECT_EQ(first.rx_bytes, 200U);
  EXPECT_EQ(first.persistent_keepalive_seconds, 25);
  ASSERT_EQ(first.allowed_ips.size(), 2U);
  EXPECT_EQ(format_allowed_ip(first.allowed_ips[1]), "fd00::/64");
  EXPECT_EQ(state->peers[1].public_key, key_of(0x01));
  EXPECT_EQ(format_endpoint(*state->peers[1].endpoint), "192.0.2.9:1");
}

TEST(UapiCodecTest, ReplyMayArriveInArbitraryChunks) {
  const std::string reply = "listen_port=1234\npublic_key=" + hex_encode(key_of(7).bytes) + "\nrx_bytes=5\nerrno=0\n\n";
  UapiReplyParser parser;
  for (const char c : reply) {
    const std::uint8_t byte = static_cast<std::uint8_t>(c);
    ASSERT_TRUE(parser.feed(std::span<const std::uint8_t>(&byte, 1)).has_value());
  }
  ASSERT_TRUE(parser.complete());
  EXPECT_EQ(parser.error_number(), 0);
  const WgDeviceState state = parser.take_state();
  EXPECT_EQ(state.listen_port, 1234);
  ASSERT_EQ(state.peers.size(), 1U);
  EXPECT_EQ(state.peers[0].rx_bytes, 5U);
}

TEST(UapiCodecTest, ErrnoRepliesBecomeErrors) {
  EXPECT_TRUE(parse_uapi_set_reply("errno=0\n\n").has_value());
  auto negative = parse_uapi_set_reply("errno=-22\n\n");
  ASSERT_FALSE(negative.has_value());
  EXPECT_EQ(negative.error().error_number, EINVAL);
  auto positive = parse_uapi_set_reply("errno=98\n\n");
  ASSERT_FALSE(positive.has_value());
  EXPECT_EQ(positive.error().error_number, 98);
  EXPECT_NE(positive.error().describe().find("98"), std::string::npos);
}

TEST(UapiCodecTest, RejectsMalformedReplies) {
  EXPECT_FALSE(parse_uapi_set_reply("errno=0\n").has_value());             // no terminator
  EXPECT_FALSE(parse_uapi_set_reply("\n").has_value());                    // no errno
  EXPECT_FALSE(parse_uapi_set_reply("errno=x\n\n").has_value());           // bad number
  EXPECT_FALSE(parse_uapi_set_reply("errno=0\n\nextra").has_value());      // trailing bytes
  EXPECT_FALSE(parse_uapi_get_reply("garbage\nerrno=0\n\n").has_value());  // no '='
  EXPECT_FALSE(parse_uapi_get_reply("public_key=zz\nerrno=0\n\n").has_value());
  EXPECT_FALSE(
      parse_uapi_get_reply("public_key=" + hex_encode(key_of(1).bytes) + "\nallowed_ip=10.0.0.0/33\nerrno=0\n\n")
          .has_value());
  EXPECT_FALSE(parse_uapi_get_reply("listen_port=65536\nerrno=0\n\n").has_value());
  EXPECT_FALSE(parse_uapi_get_reply(std::string(2000, 'a') + "=1\nerrno=0\n\n").has_value());
}

TEST(UapiCodecTest, ErrorsNeverEchoSecretLines) {
  // A malformed private key value is not parsed at all, so it cannot leak into an error.
  auto state = parse_uapi_get_reply("private_key=SECRETSECRET\nlisten_port=oops\nerrno=0\n\n");
  ASSERT_FALSE(state.has_value());
  EXPECT_EQ(state.error().describe().find("SECRET"), std::string::npos);
}

TEST(UapiCodecTest, StrictFieldParsers) {
  EXPECT_TRUE(parse_hex_key(std::string(64, 'A')).has_value());
  EXPECT_FALSE(parse_hex_key(std::string(63, 'a')).has_value());
  EXPECT_FALSE(parse_hex_key(std::string(64, 'g')).has_value());
  EXPECT_FALSE(parse_endpoint("10.0.0.1").has_value());
  EXPECT_FALSE(parse_endpoint("10.0.0.1:70000").has_value());
  EXPECT_FALSE(parse_endpoint("::1:80").has_value());
  EXPECT_FALSE(parse_endpoint("[::1]").has_value());
  EXPECT_FALSE(parse_endpoint("[fe80::1%eth0]:1").has_value());
  EXPECT_TRUE(parse_endpoint("[::1]:80").has_value());
  EXPECT_FALSE(parse_allowed_ip("10.0.0.0").has_value());
  EXPECT_FALSE(parse_allowed_ip("10.0.0.0/-1").has_value());
  EXPECT_TRUE(parse_allowed_ip("::/0").has_value());
  EXPECT_FALSE(parse_decimal("", 10).has_value());
  EXPECT_FALSE(parse_decimal("+1", 10).has_value());
  EXPECT_FALSE(parse_decimal("99999999999999999999999", UINT64_MAX).has_value());
  EXPECT_EQ(parse_decimal("18446744073709551615", UINT64_MAX), UINT64_MAX);
}

}  // namespace
}  // namespace rustynet::backend_wireguard
