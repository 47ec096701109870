// SPDX-License-Identifier: Apache-2.0
// RelayServer over loopback UDP: byte-for-byte forwarding, unknown sources dropped, a flood from an
// unauthorised source does not disturb an authorised session, oversize datagrams are not cut.
#include "rustynet/relay/relay_server.hpp"

#include <gtest/gtest.h>

#include <array>
#include <numeric>

#include "manual_clock.hpp"
#include "relay_test_support.hpp"
#include "rustynet/relay/protocol.hpp"
#include "rustynet/relay/relay_link.hpp"
#include "rustynet/relay/udp_socket.hpp"

namespace rustynet::relay {
namespace {

using std::chrono::milliseconds;

const RelayEndpoint kLoopback = RelayEndpoint::parse("127.0.0.1:0").value();

class RelayServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto core = RelayCore::create("relay-1", issuer_.public_key(), RelayLimits{}, clock_, sink_);
    ASSERT_TRUE(core.has_value()) << core.error();
    auto server = RelayServer::create(kLoopback, std::move(core).value(), clock_);
    ASSERT_TRUE(server.has_value()) << server.error().describe();
    server_.emplace(std::move(server).value());
    relay_ = server_->local_endpoint();
  }

  static UdpSocket client() { return UdpSocket::bind(kLoopback).value(); }

  // Lets the relay process whatever is queued (single thread: no sleeps, no races).
  void pump() { ASSERT_TRUE(server_->poll_once(milliseconds(200)).has_value()); }

  std::optional<std::vector<std::uint8_t>> receive(const UdpSocket& socket, milliseconds timeout = milliseconds(500)) {
    std::array<std::uint8_t, 4096> buffer{};
    auto got = socket.receive(buffer, timeout);
    if (!got.has_value() || !got->has_value()) {
      return std::nullopt;
    }
    EXPECT_EQ((*got)->source, relay_);
    return std::vector<std::uint8_t>(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>((*got)->size));
  }

  ServerMessage exchange(const UdpSocket& socket, std::span<const std::uint8_t> datagram) {
    EXPECT_TRUE(socket.send_to(relay_, datagram).has_value());
    pump();
    const auto answer = receive(socket);
    EXPECT_TRUE(answer.has_value());
    if (!answer.has_value()) {
      return {};
    }
    auto parsed = parse_server_message(*answer);
    EXPECT_TRUE(parsed.has_value());
    return parsed.has_value() ? *parsed : ServerMessage{};
  }

  ServerMessage handshake(const UdpSocket& socket, std::span<const std::uint8_t> ticket) {
    const auto cookie = exchange(socket, build_hello(ticket, Cookie{}).value());
    EXPECT_EQ(cookie.type, MessageType::kCookie);
    return exchange(socket, build_hello(ticket, cookie.cookie).value());
  }

  std::int64_t wall() const { return clock_.wall_now().value().seconds; }

  rustynet::testing::ManualClock clock_;
  testing::RecordingSink sink_;
  testing::TicketIssuer issuer_{1};
  std::optional<RelayServer> server_;
  RelayEndpoint relay_;
};

TEST_F(RelayServerTest, ForwardsByteForByteBetweenTwoBoundEndpoints) {
  const UdpSocket a = client();
  const UdpSocket b = client();
  ASSERT_EQ(handshake(a, issuer_.issue("node-a", "node-b", testing::session_id(1), wall())).type, MessageType::kAccept);
  const auto accept_b = handshake(b, issuer_.issue("node-b", "node-a", testing::session_id(1), wall()));
  ASSERT_EQ(accept_b.type, MessageType::kAccept);
  EXPECT_TRUE(accept_b.peer_bound);

  // Every byte value, several sizes up to a full-MTU datagram, both directions.
  for (const std::size_t size : {1U, 32U, 148U, 1280U, 1420U, 1500U}) {
    std::vector<std::uint8_t> payload(size);
    std::iota(payload.begin(), payload.end(), static_cast<std::uint8_t>(size));
    payload[0] = 4;  // not the control magic
    ASSERT_TRUE(a.send_to(relay_, payload).has_value());
    pump();
    EXPECT_EQ(receive(b), payload) << size;
    std::reverse(payload.begin(), payload.end());
    payload[0] = 1;
    ASSERT_TRUE(b.send_to(relay_, payload).has_value());
    pump();
    EXPECT_EQ(receive(a), payload) << size;
  }
  // A burst larger than one batch arrives complete and in order.
  for (std::uint32_t i = 0; i < 3 * RelayServer::kBatchSize; ++i) {
    const std::vector<std::uint8_t> datagram = {4, static_cast<std::uint8_t>(i), static_cast<std::uint8_t>(i >> 8U)};
    ASSERT_TRUE(a.send_to(relay_, datagram).has_value());
  }
  pump();
  for (std::uint32_t i = 0; i < 3 * RelayServer::kBatchSize; ++i) {
    const auto got = receive(b);
    ASSERT_TRUE(got.has_value()) << i;
    EXPECT_EQ((*got)[1], static_cast<std::uint8_t>(i));
  }
  EXPECT_EQ(server_->core().counters().send_errors, 0U);
}

TEST_F(RelayServerTest, UnboundSourceDroppedSilently) {
  const UdpSocket stranger = client();
  ASSERT_TRUE(stranger.send_to(relay_, std::vector<std::uint8_t>{4, 0, 0, 0, 1}).has_value());
  ASSERT_TRUE(stranger.send_to(relay_, build_keepalive()).has_value());
  pump();
  EXPECT_FALSE(receive(stranger, milliseconds(50)).has_value());
  EXPECT_EQ(server_->core().counters().dropped_unknown_source, 2U);
}

TEST_F(RelayServerTest, CookieFromAnotherAddressDoesNotBind) {
  const UdpSocket victim = client();
  const UdpSocket attacker = client();
  const auto ticket = issuer_.issue("node-a", "node-b", testing::session_id(1), wall());
  const auto cookie = exchange(attacker, build_hello(ticket, Cookie{}).value());
  // The attacker's cookie presented from the victim's address (as a spoofed packet would).
  const auto answer = exchange(victim, build_hello(ticket, cookie.cookie).value());
  EXPECT_EQ(answer.type, MessageType::kCookie);
  EXPECT_EQ(server_->core().session_count(), 0U);
}

TEST_F(RelayServerTest, FloodFromUnauthorisedSourceDoesNotDisturbSession) {
  const UdpSocket a = client();
  const UdpSocket b = client();
  const UdpSocket flooder = client();
  ASSERT_EQ(handshake(a, issuer_.issue("node-a", "node-b", testing::session_id(1), wall())).type, MessageType::kAccept);
  ASSERT_EQ(handshake(b, issuer_.issue("node-b", "node-a", testing::session_id(1), wall())).type, MessageType::kAccept);
  const auto stolen = issuer_.issue("node-a", "node-b", testing::session_id(1), wall());
  const auto forged_hello = build_hello(stolen, Cookie{}).value();
  std::vector<std::uint8_t> junk(1200, 0x04);
  constexpr int kRounds = 20;
  int delivered = 0;
  for (int round = 0; round < kRounds; ++round) {
    for (int i = 0; i < 50; ++i) {
      (void)flooder.send_to(relay_, junk);
      (void)flooder.send_to(relay_, forged_hello);
    }
    const std::vector<std::uint8_t> payload = {4, 0, 0, 0, static_cast<std::uint8_t>(round)};
    ASSERT_TRUE(a.send_to(relay_, payload).has_value());
    pump();
    while (server_->poll_once(milliseconds(0)).value_or(0) > 0) {
    }
    const auto got = receive(b);
    delivered += got == payload ? 1 : 0;
  }
  EXPECT_EQ(delivered, kRounds);
  const auto& counters = server_->core().counters();
  EXPECT_GT(counters.dropped_unknown_source, 0U);
  EXPECT_GT(counters.dropped_hello_rate, 0U);
  EXPECT_EQ(counters.tickets_verified, 2U);  // only the two genuine hellos cost a signature check
  EXPECT_EQ(server_->core().session_count(), 1U);
}

TEST_F(RelayServerTest, OversizeDatagramIsDroppedNotTruncated) {
  const UdpSocket a = client();
  const UdpSocket b = client();
  ASSERT_EQ(handshake(a, issuer_.issue("node-a", "node-b", testing::session_id(1), wall())).type, MessageType::kAccept);
  ASSERT_EQ(handshake(b, issuer_.issue("node-b", "node-a", testing::session_id(1), wall())).type, MessageType::kAccept);
  const std::vector<std::uint8_t> big(RelayLimits{}.max_datagram_bytes + 1, 4);
  ASSERT_TRUE(a.send_to(relay_, big).has_value());
  pump();
  EXPECT_FALSE(receive(b, milliseconds(50)).has_value());
  EXPECT_EQ(server_->core().counters().dropped_oversize, 1U);
}

TEST_F(RelayServerTest, IdleSessionExpiresThroughPollLoop) {
  const UdpSocket a = client();
  const UdpSocket b = client();
  ASSERT_EQ(handshake(a, issuer_.issue("node-a", "node-b", testing::session_id(1), wall())).type, MessageType::kAccept);
  ASSERT_EQ(handshake(b, issuer_.issue("node-b", "node-a", testing::session_id(1), wall())).type, MessageType::kAccept);
  clock_.advance(std::chrono::seconds(RelayLimits{}.session_idle_timeout_seconds + 1));
  ASSERT_TRUE(server_->poll_once(milliseconds(0)).has_value());
  EXPECT_EQ(server_->core().session_count(), 0U);
  ASSERT_TRUE(a.send_to(relay_, std::vector<std::uint8_t>{4, 0, 0, 0}).has_value());
  pump();
  EXPECT_FALSE(receive(b, milliseconds(50)).has_value());
}

TEST_F(RelayServerTest, NodeLinksCarryTunnelDatagramsBothWays) {
  // Two "tunnel" sockets stand in for the local tunnel peers; each talks only to its link.
  const UdpSocket tunnel_a = client();
  const UdpSocket tunnel_b = client();
  auto make_link = [&](const UdpSocket& tunnel) {
    RelayLink::Options options;
    options.relay = relay_;
    options.upstream_bind = kLoopback;
    options.local_listen = kLoopback;
    options.tunnel = tunnel.local_endpoint().value();
    return RelayLink::create(options, clock_).value();
  };
  RelayLink link_a = make_link(tunnel_a);
  RelayLink link_b = make_link(tunnel_b);
  // allocate() waits for the relay's answers, but the relay runs on this thread: each round the
  // links send their hellos (answers queued from the previous round are consumed first), then the
  // relay processes them. Round 1 yields cookies, round 2 the accepts.
  const auto ticket_a = issuer_.issue("node-a", "node-b", testing::session_id(1), wall());
  const auto ticket_b = issuer_.issue("node-b", "node-a", testing::session_id(1), wall());
  std::optional<ServerMessage> answer_a;
  std::optional<ServerMessage> answer_b;
  for (int round = 0; round < 4 && !(answer_a && answer_b); ++round) {
    if (!answer_a) {
      auto got = link_a.allocate(ticket_a, 3, milliseconds(1));
      if (got.has_value()) {
        answer_a = *got;
      }
    }
    if (!answer_b) {
      auto got = link_b.allocate(ticket_b, 3, milliseconds(1));
      if (got.has_value()) {
        answer_b = *got;
      }
    }
    pump();
  }
  ASSERT_TRUE(answer_a.has_value() && answer_b.has_value());
  EXPECT_EQ(answer_a->type, MessageType::kAccept);
  EXPECT_EQ(answer_b->type, MessageType::kAccept);

  const std::vector<std::uint8_t> payload = {1, 0, 0, 0, 9, 8, 7};
  ASSERT_TRUE(tunnel_a.send_to(link_a.local_endpoint(), payload).has_value());
  ASSERT_TRUE(link_a.pump(milliseconds(200)).value());
  pump();
  ASSERT_TRUE(link_b.pump(milliseconds(200)).value());
  std::array<std::uint8_t, 256> buffer{};
  auto got = tunnel_b.receive(buffer, milliseconds(500)).value();
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->source, link_b.local_endpoint());
  EXPECT_TRUE(std::equal(payload.begin(), payload.end(), buffer.begin(),
                         buffer.begin() + static_cast<std::ptrdiff_t>(got->size)));

  ASSERT_TRUE(tunnel_b.send_to(link_b.local_endpoint(), payload).has_value());
  ASSERT_TRUE(link_b.pump(milliseconds(200)).value());
  pump();
  ASSERT_TRUE(link_a.pump(milliseconds(200)).value());
  got = tunnel_a.receive(buffer, milliseconds(500)).value();
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->size, payload.size());
  EXPECT_EQ(link_a.forwarded_to_relay(), 1U);
  EXPECT_EQ(link_a.forwarded_to_tunnel(), 1U);
}

}  // namespace
}  // namespace rustynet::relay
