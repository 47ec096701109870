// SPDX-License-Identifier: Apache-2.0
// Relay wire messages: exact layouts, strict parsing, no reply larger than a hello.
#include "rustynet/relay/protocol.hpp"

#include <gtest/gtest.h>

#include <array>

#include "rustynet/relay/endpoint.hpp"

namespace rustynet::relay {
namespace {

TEST(RelayProtocolTest, HelloRoundTripAndPadding) {
  const std::vector<std::uint8_t> ticket(40, 0xAB);
  Cookie cookie{};
  cookie.fill(3);
  const auto hello = build_hello(ticket, cookie).value();
  EXPECT_EQ(hello.size(), kMinHelloSize);
  const auto parsed = parse_hello(hello).value();
  EXPECT_EQ(parsed.cookie, cookie);
  EXPECT_TRUE(std::equal(parsed.ticket.begin(), parsed.ticket.end(), ticket.begin(), ticket.end()));
  auto dirty = hello;
  dirty.back() = 1;  // non-zero padding
  EXPECT_FALSE(parse_hello(dirty).has_value());
  auto short_hello = hello;
  short_hello.resize(kMinHelloSize - 1);
  EXPECT_FALSE(parse_hello(short_hello).has_value());
  EXPECT_FALSE(build_hello({}, cookie).has_value());
  EXPECT_FALSE(build_hello(std::vector<std::uint8_t>(crypto::kMaxRelayTicketBytes + 1), cookie).has_value());
}

TEST(RelayProtocolTest, ServerMessagesRoundTripAndStaySmall) {
  std::array<std::uint8_t, kMaxReplySize> buffer{};
  Cookie cookie{};
  cookie.fill(9);
  std::size_t size = write_cookie(buffer, cookie);
  EXPECT_LT(size, kMinHelloSize);
  auto message = parse_server_message(std::span<const std::uint8_t>(buffer).first(size)).value();
  EXPECT_EQ(message.type, MessageType::kCookie);
  EXPECT_EQ(message.cookie, cookie);

  crypto::RelaySessionId session{};
  session.fill(5);
  size = write_accept(buffer, session, true, 180);
  message = parse_server_message(std::span<const std::uint8_t>(buffer).first(size)).value();
  EXPECT_EQ(message.type, MessageType::kAccept);
  EXPECT_EQ(message.session_id, session);
  EXPECT_TRUE(message.peer_bound);
  EXPECT_EQ(message.idle_timeout_seconds, 180U);
  // Trailing byte: refused.
  EXPECT_FALSE(parse_server_message(std::span<const std::uint8_t>(buffer).first(size + 1)).has_value());

  size = write_reject(buffer, RejectReason::kReplayed);
  message = parse_server_message(std::span<const std::uint8_t>(buffer).first(size)).value();
  EXPECT_EQ(message.reason, RejectReason::kReplayed);
  EXPECT_EQ(to_string(message.reason), "replayed");
  buffer[kHeaderSize] = 0;
  EXPECT_FALSE(parse_server_message(std::span<const std::uint8_t>(buffer).first(size)).has_value());

  size = write_keepalive_ack(buffer, false);
  message = parse_server_message(std::span<const std::uint8_t>(buffer).first(size)).value();
  EXPECT_EQ(message.type, MessageType::kKeepaliveAck);
  EXPECT_FALSE(message.peer_bound);
  buffer[4] = 2;  // unknown version
  EXPECT_FALSE(parse_server_message(std::span<const std::uint8_t>(buffer).first(size)).has_value());
}

TEST(RelayProtocolTest, TunnelDatagramsAreNotControlMessages) {
  // Tunnel messages begin with a small type and reserved zero bytes.
  for (std::uint8_t type = 1; type <= 4; ++type) {
    const std::vector<std::uint8_t> datagram = {type, 0, 0, 0, 0xFF, 'R', 'N', 'R'};
    EXPECT_FALSE(is_control_message(datagram));
  }
  EXPECT_TRUE(is_control_message(build_keepalive()));
}

TEST(RelayProtocolTest, EndpointParseAndFormat) {
  const auto v4 = RelayEndpoint::parse("192.0.2.1:51820").value();
  EXPECT_EQ(v4.to_string(), "192.0.2.1:51820");
  const auto v6 = RelayEndpoint::parse("[2001:db8::1]:443").value();
  EXPECT_EQ(v6.family, AddressFamily::kIpv6);
  EXPECT_EQ(v6.to_string(), "[2001:db8::1]:443");
  EXPECT_FALSE(RelayEndpoint::parse("192.0.2.1").has_value());
  EXPECT_FALSE(RelayEndpoint::parse("192.0.2.1:70000").has_value());
  EXPECT_FALSE(RelayEndpoint::parse("[::1]443").has_value());
  EXPECT_FALSE(RelayEndpoint::parse("host:1").has_value());
  EXPECT_EQ(RelayEndpointHash{}(v4), RelayEndpointHash{}(RelayEndpoint::parse("192.0.2.1:51820").value()));
}

}  // namespace
}  // namespace rustynet::relay
