// SPDX-License-Identifier: Apache-2.0
// RelayCore (sans-I/O): cookies before signatures, ticket refusal, replay, binding, limits, expiry.
#include "rustynet/relay/relay_core.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <random>

#include "manual_clock.hpp"
#include "relay_test_support.hpp"
#include "rustynet/crypto/algorithm_policy.hpp"
#include "rustynet/crypto/signed_envelope.hpp"
#include "rustynet/relay/protocol.hpp"

namespace rustynet::relay {
namespace {

using testing::RecordingSink;
using testing::TicketIssuer;

RelayEndpoint endpoint(std::string_view text) { return RelayEndpoint::parse(text).value(); }

class RelayCoreTest : public ::testing::Test {
 protected:
  void SetUp() override { rebuild(RelayLimits{}); }

  void rebuild(const RelayLimits& limits) {
    auto created = RelayCore::create("relay-1", issuer_.public_key(), limits, clock_, sink_);
    ASSERT_TRUE(created.has_value()) << created.error();
    core_.emplace(std::move(created).value());
  }

  std::int64_t wall() const { return clock_.wall_now().value().seconds; }

  Decision send(const RelayEndpoint& source, std::span<const std::uint8_t> datagram) {
    return core_->handle(source, datagram, reply_, clock_.monotonic_now());
  }

  ServerMessage reply_message(const Decision& decision) {
    EXPECT_EQ(decision.action, Action::kReply);
    auto parsed = parse_server_message(std::span<const std::uint8_t>(reply_).first(decision.reply_size));
    EXPECT_TRUE(parsed.has_value());
    return parsed.has_value() ? *parsed : ServerMessage{};
  }

  Cookie cookie_for(const RelayEndpoint& source, std::span<const std::uint8_t> ticket) {
    const auto request = build_hello(ticket, Cookie{}).value();
    const auto message = reply_message(send(source, request));
    EXPECT_EQ(message.type, MessageType::kCookie);
    return message.cookie;
  }

  // Full hello exchange from `source`; returns the relay's final answer.
  ServerMessage handshake(const RelayEndpoint& source, std::span<const std::uint8_t> ticket) {
    const Cookie cookie = cookie_for(source, ticket);
    return reply_message(send(source, build_hello(ticket, cookie).value()));
  }

  void bind_pair(const RelayEndpoint& a, const RelayEndpoint& b, std::uint8_t session = 1) {
    ASSERT_EQ(handshake(a, issuer_.issue("node-a", "node-b", testing::session_id(session), wall())).type,
              MessageType::kAccept);
    const auto second = handshake(b, issuer_.issue("node-b", "node-a", testing::session_id(session), wall()));
    ASSERT_EQ(second.type, MessageType::kAccept);
    EXPECT_TRUE(second.peer_bound);
  }

  rustynet::testing::ManualClock clock_;
  RecordingSink sink_;
  TicketIssuer issuer_{1};
  std::optional<RelayCore> core_;
  std::array<std::uint8_t, kMaxReplySize> reply_{};
  const RelayEndpoint a_ = endpoint("192.0.2.1:5000");
  const RelayEndpoint b_ = endpoint("198.51.100.7:6000");
};

TEST_F(RelayCoreTest, ForwardsBothWaysOnlyBetweenBoundSides) {
  bind_pair(a_, b_);
  const std::vector<std::uint8_t> data = {4, 0, 0, 0, 42, 43};
  const Decision to_b = send(a_, data);
  ASSERT_EQ(to_b.action, Action::kForward);
  EXPECT_EQ(to_b.destination, b_);
  const Decision to_a = send(b_, data);
  ASSERT_EQ(to_a.action, Action::kForward);
  EXPECT_EQ(to_a.destination, a_);
  EXPECT_EQ(send(endpoint("203.0.113.9:1"), data).action, Action::kDrop);
  EXPECT_EQ(core_->counters().forwarded_datagrams, 2U);
  EXPECT_EQ(core_->counters().dropped_unknown_source, 1U);
  EXPECT_EQ(sink_.count(SecurityEventKind::kSessionBound), 2U);
}

TEST_F(RelayCoreTest, HelloWithoutCookieGetsOnlyASmallCookieAndNoState) {
  const auto ticket = issuer_.issue("node-a", "node-b", testing::session_id(1), wall());
  const auto hello = build_hello(ticket, Cookie{}).value();
  const Decision decision = send(a_, hello);
  ASSERT_EQ(decision.action, Action::kReply);
  EXPECT_LT(decision.reply_size, hello.size());  // never an amplifier
  EXPECT_EQ(core_->session_count(), 0U);
  EXPECT_EQ(core_->replay_entry_count(), 0U);
  EXPECT_EQ(core_->counters().tickets_verified, 0U);  // no signature work before the cookie
}

TEST_F(RelayCoreTest, SpoofedHelloCannotBindOrLockTheSession) {
  // The attacker knows the real ticket (e.g. saw it) and sends it with A's victim address... but
  // without being able to receive at that address it never learns the cookie for it. It can only
  // obtain a cookie for an address it owns, and that cookie is worthless for another address.
  const auto ticket = issuer_.issue("node-a", "node-b", testing::session_id(1), wall());
  const RelayEndpoint attacker = endpoint("203.0.113.66:4444");
  const Cookie attacker_cookie = cookie_for(attacker, ticket);
  const auto spoofed = build_hello(ticket, attacker_cookie).value();
  const auto answer = reply_message(send(a_, spoofed));  // spoofed source a_, wrong cookie
  EXPECT_EQ(answer.type, MessageType::kCookie);          // goes to a_, the attacker never sees it
  Cookie guessed{};
  guessed.fill(0x5A);
  EXPECT_EQ(reply_message(send(a_, build_hello(ticket, guessed).value())).type, MessageType::kCookie);
  EXPECT_EQ(core_->session_count(), 0U);
  EXPECT_EQ(core_->counters().tickets_verified, 0U);
  EXPECT_EQ(core_->counters().cookies_invalid, 2U);
  // The genuine holder still binds with the same ticket afterwards.
  EXPECT_EQ(handshake(a_, ticket).type, MessageType::kAccept);
}

TEST_F(RelayCoreTest, ForgedWrongSignerExpiredRefusedAfterCookie) {
  TicketIssuer rogue{2};
  auto expect_reject = [&](std::span<const std::uint8_t> ticket, RejectReason reason) {
    const auto message = handshake(a_, ticket);
    EXPECT_EQ(message.type, MessageType::kReject);
    EXPECT_EQ(message.reason, reason) << to_string(message.reason);
  };
  expect_reject(rogue.issue("node-a", "node-b", testing::session_id(1), wall()), RejectReason::kBadTicket);
  auto forged = issuer_.issue("node-a", "node-b", testing::session_id(1), wall());
  forged[forged.size() - 1] ^= 0x01U;  // signature byte
  expect_reject(forged, RejectReason::kBadTicket);
  TicketIssuer other_relay{1, "relay-9"};
  expect_reject(other_relay.issue("node-a", "node-b", testing::session_id(1), wall()), RejectReason::kBadTicket);
  const auto short_lived = issuer_.issue("node-a", "node-b", testing::session_id(1), wall(), 30);
  clock_.advance(std::chrono::seconds(30 + crypto::kClockSkewSeconds + 1));
  expect_reject(short_lived, RejectReason::kExpired);
  EXPECT_EQ(core_->session_count(), 0U);
  EXPECT_EQ(sink_.count(SecurityEventKind::kTicketRejected), 4U);
}

TEST_F(RelayCoreTest, ReplayedTicketRefusedRetransmitAnswered) {
  const auto ticket = issuer_.issue("node-a", "node-b", testing::session_id(1), wall());
  ASSERT_EQ(handshake(a_, ticket).type, MessageType::kAccept);
  // Same ticket, same address: the accept was lost, answer again (idempotent).
  EXPECT_EQ(handshake(a_, ticket).type, MessageType::kAccept);
  // Same ticket from anywhere else: replay.
  const auto replay = handshake(endpoint("203.0.113.66:4444"), ticket);
  EXPECT_EQ(replay.type, MessageType::kReject);
  EXPECT_EQ(replay.reason, RejectReason::kReplayed);
  EXPECT_EQ(core_->counters().tickets_replayed, 1U);
  // Still replayed after the session expired: the replay store outlives the session.
  clock_.advance(std::chrono::seconds(RelayLimits{}.session_idle_timeout_seconds + 1));
  core_->expire(clock_.monotonic_now());
  EXPECT_EQ(core_->session_count(), 0U);
  EXPECT_EQ(handshake(a_, ticket).reason, RejectReason::kReplayed);
}

TEST_F(RelayCoreTest, TicketIssuedBeforeRestartIsStale) {
  const auto old_ticket = issuer_.issue("node-a", "node-b", testing::session_id(1), wall() - 5);
  EXPECT_EQ(handshake(a_, old_ticket).reason, RejectReason::kStaleTicket);
}

TEST_F(RelayCoreTest, NewTicketRebindsSideFromNewAddress) {
  bind_pair(a_, b_);
  const RelayEndpoint a_moved = endpoint("192.0.2.1:5001");
  ASSERT_EQ(handshake(a_moved, issuer_.issue("node-a", "node-b", testing::session_id(1), wall())).type,
            MessageType::kAccept);
  const std::vector<std::uint8_t> data = {4, 0, 0, 0};
  EXPECT_EQ(send(a_, data).action, Action::kDrop);
  EXPECT_EQ(send(b_, data).destination, a_moved);
  EXPECT_EQ(core_->counters().sides_rebound, 1U);
  EXPECT_EQ(core_->bound_address_count(), 2U);
}

TEST_F(RelayCoreTest, AddressBoundElsewhereAndSessionMismatchRefused) {
  bind_pair(a_, b_);
  const auto other_session = issuer_.issue("node-a", "node-c", testing::session_id(2), wall());
  EXPECT_EQ(handshake(a_, other_session).reason, RejectReason::kAddressInUse);
  const auto mismatch = issuer_.issue("node-c", "node-a", testing::session_id(1), wall());
  EXPECT_EQ(handshake(endpoint("192.0.2.50:1"), mismatch).reason, RejectReason::kSessionMismatch);
}

TEST_F(RelayCoreTest, SessionAndPerNodeCaps) {
  RelayLimits limits;
  limits.max_sessions = 3;
  limits.max_sessions_per_node = 2;
  rebuild(limits);
  std::uint16_t port = 1000;
  auto bind_one = [&](const std::string& node, const std::string& peer, std::uint8_t session) {
    const RelayEndpoint source = endpoint("192.0.2.1:" + std::to_string(port++));
    return handshake(source, issuer_.issue(node, peer, testing::session_id(session), wall()));
  };
  EXPECT_EQ(bind_one("node-a", "node-b", 1).type, MessageType::kAccept);
  EXPECT_EQ(bind_one("node-a", "node-c", 2).type, MessageType::kAccept);
  EXPECT_EQ(bind_one("node-a", "node-d", 3).reason, RejectReason::kNodeLimit);
  EXPECT_EQ(bind_one("node-e", "node-f", 4).type, MessageType::kAccept);
  EXPECT_EQ(bind_one("node-g", "node-h", 5).reason, RejectReason::kRelayFull);
  EXPECT_EQ(core_->session_count(), 3U);
  EXPECT_EQ(core_->counters().node_limit_hits, 1U);
  EXPECT_EQ(core_->counters().session_limit_hits, 1U);
  EXPECT_GE(sink_.count(SecurityEventKind::kLimitReached), 2U);
}

TEST_F(RelayCoreTest, ReplayStoreFullDeniesUntilEntriesExpire) {
  RelayLimits limits;
  limits.max_replay_entries = 2;
  rebuild(limits);
  EXPECT_EQ(handshake(a_, issuer_.issue("node-a", "node-b", testing::session_id(1), wall(), 60)).type,
            MessageType::kAccept);
  EXPECT_EQ(handshake(b_, issuer_.issue("node-b", "node-a", testing::session_id(1), wall(), 60)).type,
            MessageType::kAccept);
  const auto third = issuer_.issue("node-c", "node-d", testing::session_id(2), wall(), 600);
  EXPECT_EQ(handshake(endpoint("192.0.2.9:9"), third).reason, RejectReason::kRelayFull);
  EXPECT_EQ(core_->counters().replay_store_full, 1U);
  clock_.advance(std::chrono::seconds(60 + crypto::kClockSkewSeconds + 1));
  EXPECT_EQ(handshake(endpoint("192.0.2.9:10"), issuer_.issue("node-c", "node-d", testing::session_id(3), wall())).type,
            MessageType::kAccept);
}

TEST_F(RelayCoreTest, IdleExpiryAndKeepalive) {
  bind_pair(a_, b_);
  const auto idle = std::chrono::seconds(RelayLimits{}.session_idle_timeout_seconds);
  clock_.advance(idle - std::chrono::seconds(1));
  const auto ack = reply_message(send(a_, build_keepalive()));
  EXPECT_EQ(ack.type, MessageType::kKeepaliveAck);
  EXPECT_TRUE(ack.peer_bound);
  clock_.advance(idle - std::chrono::seconds(1));
  core_->expire(clock_.monotonic_now());
  EXPECT_EQ(core_->session_count(), 1U);  // the keepalive counted as activity
  clock_.advance(std::chrono::seconds(2));
  core_->expire(clock_.monotonic_now());
  EXPECT_EQ(core_->session_count(), 0U);
  EXPECT_EQ(core_->bound_address_count(), 0U);
  EXPECT_EQ(core_->counters().sessions_expired_idle, 1U);
  EXPECT_EQ(send(a_, std::vector<std::uint8_t>{4, 0, 0, 0}).action, Action::kDrop);
  EXPECT_EQ(send(a_, build_keepalive()).action, Action::kDrop);  // unknown source: no answer
}

TEST_F(RelayCoreTest, LifetimeCapEndsActiveSession) {
  RelayLimits limits;
  limits.max_session_lifetime_seconds = 600;
  limits.session_idle_timeout_seconds = 100;
  rebuild(limits);
  bind_pair(a_, b_);
  for (int i = 0; i < 12; ++i) {
    clock_.advance(std::chrono::seconds(50));
    ASSERT_EQ(send(a_, std::vector<std::uint8_t>{4, 0, 0, 0}).action, Action::kForward) << i;
    core_->expire(clock_.monotonic_now());
  }
  EXPECT_EQ(core_->session_count(), 0U);
  EXPECT_EQ(core_->counters().sessions_expired_lifetime, 1U);
}

TEST_F(RelayCoreTest, PerSidePacketAndByteLimits) {
  RelayLimits limits;
  limits.per_source_packets_per_second = 10;
  limits.per_session_bytes_per_second = 1'000'000;
  rebuild(limits);
  bind_pair(a_, b_);
  const std::vector<std::uint8_t> data(100, 4);
  int forwarded = 0;
  for (int i = 0; i < 50; ++i) {
    forwarded += send(a_, data).action == Action::kForward ? 1 : 0;
  }
  EXPECT_EQ(forwarded, 10);
  // B's side has its own budget: A's flood does not starve B.
  EXPECT_EQ(send(b_, data).action, Action::kForward);
  clock_.advance(std::chrono::seconds(1));
  EXPECT_EQ(send(a_, data).action, Action::kForward);
  EXPECT_EQ(core_->counters().dropped_session_rate, 40U);

  limits.per_source_packets_per_second = 1000;
  limits.per_session_bytes_per_second = 1000;
  rebuild(limits);
  bind_pair(a_, b_);
  forwarded = 0;
  for (int i = 0; i < 50; ++i) {
    forwarded += send(a_, data).action == Action::kForward ? 1 : 0;
  }
  EXPECT_EQ(forwarded, 10);  // 1000 bytes / 100-byte datagrams
}

TEST_F(RelayCoreTest, HelloFloodFromOneSourceIsRateLimitedBeforeCrypto) {
  const auto ticket = issuer_.issue("node-a", "node-b", testing::session_id(1), wall());
  const auto hello = build_hello(ticket, Cookie{}).value();
  const RelayEndpoint flooder = endpoint("203.0.113.66:4444");
  int answered = 0;
  for (int i = 0; i < 1000; ++i) {
    answered += send(flooder, hello).action == Action::kReply ? 1 : 0;
  }
  EXPECT_EQ(answered, 2 * static_cast<int>(RelayLimits{}.hello_per_source_per_second));
  EXPECT_EQ(core_->counters().dropped_hello_rate, 1000U - static_cast<unsigned>(answered));
  EXPECT_EQ(core_->counters().tickets_verified, 0U);
  // Security events are budgeted too: a flood cannot flood the log.
  EXPECT_LE(sink_.events.size(), RelayLimits{}.security_events_per_second);
  EXPECT_GT(core_->counters().events_suppressed, 0U);
  // Another source is unaffected.
  EXPECT_EQ(handshake(a_, ticket).type, MessageType::kAccept);
}

// Found by e2e_faults_test: one shared event budget let free, spoofable pre-authentication noise
// (hello-rate drops) crowd the refusals of forged and replayed tickets out of the log.
TEST_F(RelayCoreTest, HelloFloodDoesNotCrowdTicketRefusalsOutOfTheLog) {
  const auto hello = build_hello(issuer_.issue("node-a", "node-b", testing::session_id(1), wall()), Cookie{}).value();
  const RelayEndpoint flooder = endpoint("203.0.113.66:4444");
  for (int i = 0; i < 1000; ++i) {
    (void)send(flooder, hello);
  }
  ASSERT_EQ(sink_.count(SecurityEventKind::kHelloRateLimited), RelayLimits{}.security_events_per_second);
  ASSERT_GT(core_->counters().events_suppressed, 0U);
  // The clock does not move: no budget refills. Each refusal below must still be logged.
  TicketIssuer rogue{2};
  std::uint16_t port = 7000;
  for (int i = 0; i < 5; ++i) {
    const auto answer = handshake(endpoint("192.0.2.9:" + std::to_string(port++)),
                                  rogue.issue("node-a", "node-b", testing::session_id(2), wall()));
    EXPECT_EQ(answer.reason, RejectReason::kBadTicket);
  }
  const auto ticket = issuer_.issue("node-a", "node-b", testing::session_id(3), wall());
  ASSERT_EQ(handshake(a_, ticket).type, MessageType::kAccept);
  EXPECT_EQ(handshake(endpoint("192.0.2.10:7100"), ticket).reason, RejectReason::kReplayed);
  EXPECT_EQ(sink_.count(SecurityEventKind::kTicketRejected), 5U);
  EXPECT_EQ(sink_.count(SecurityEventKind::kTicketReplayed), 1U);
  EXPECT_EQ(sink_.count(SecurityEventKind::kSessionBound), 1U);
  // The noise stays budgeted: still no more hello-rate events than one second's worth.
  for (int i = 0; i < 1000; ++i) {
    (void)send(flooder, hello);
  }
  EXPECT_EQ(sink_.count(SecurityEventKind::kHelloRateLimited), RelayLimits{}.security_events_per_second);
}

TEST_F(RelayCoreTest, VerificationBudgetProtectsSignatureWork) {
  RelayLimits limits;
  limits.ticket_verifications_per_second = 2;
  rebuild(limits);
  std::uint16_t port = 2000;
  int busy = 0;
  for (std::uint8_t i = 0; i < 5; ++i) {
    const RelayEndpoint source = endpoint("192.0.2." + std::to_string(i + 1) + ":" + std::to_string(port++));
    const auto answer =
        handshake(source, issuer_.issue("node-" + std::to_string(i), "peer", testing::session_id(i), wall()));
    busy += answer.type == MessageType::kReject && answer.reason == RejectReason::kBusy ? 1 : 0;
  }
  EXPECT_EQ(busy, 3);
  EXPECT_EQ(core_->counters().tickets_verified, 2U);
}

TEST_F(RelayCoreTest, UnusableWallClockFailsClosed) {
  const auto ticket = issuer_.issue("node-a", "node-b", testing::session_id(1), wall());
  const Cookie cookie = cookie_for(a_, ticket);
  clock_.set_wall_usable(false);
  EXPECT_EQ(reply_message(send(a_, build_hello(ticket, cookie).value())).reason, RejectReason::kClockUnavailable);
  EXPECT_FALSE(RelayCore::create("relay-1", issuer_.public_key(), RelayLimits{}, clock_, sink_).has_value());
}

TEST_F(RelayCoreTest, CookieExpiresAfterTwoWindows) {
  const auto ticket = issuer_.issue("node-a", "node-b", testing::session_id(1), wall());
  const Cookie cookie = cookie_for(a_, ticket);
  clock_.advance(std::chrono::seconds(61));
  EXPECT_EQ(reply_message(send(a_, build_hello(ticket, cookie).value())).type, MessageType::kCookie);
}

TEST_F(RelayCoreTest, MalformedControlMessagesDropped) {
  std::vector<std::uint8_t> junk(kMinHelloSize, 0);
  std::copy(kMagic.begin(), kMagic.end(), junk.begin());
  junk[4] = kProtocolVersion;
  junk[5] = static_cast<std::uint8_t>(MessageType::kHello);
  junk[22] = 0xFF;  // ticket length beyond the datagram
  EXPECT_EQ(send(a_, junk).action, Action::kDrop);
  EXPECT_EQ(core_->counters().dropped_malformed, 1U);
  EXPECT_EQ(send(a_, std::vector<std::uint8_t>(3, 0xFF)).action, Action::kDrop);
}

TEST_F(RelayCoreTest, RandomAndMutatedDatagramsNeverBindOrCrash) {
  std::mt19937 random(12345);  // deterministic: a failure is reproducible
  auto byte = [&random]() { return static_cast<std::uint8_t>(random() & 0xFFU); };
  const auto ticket = issuer_.issue("node-a", "node-b", testing::session_id(1), wall());
  const Cookie cookie = cookie_for(a_, ticket);
  const auto valid = build_hello(ticket, cookie).value();
  for (int i = 0; i < 20'000; ++i) {
    std::vector<std::uint8_t> datagram;
    if (i % 2 == 0) {
      datagram.resize(random() % 800);
      std::generate(datagram.begin(), datagram.end(), byte);
      if (i % 4 == 0 && datagram.size() >= kHeaderSize) {
        std::copy(kMagic.begin(), kMagic.end(), datagram.begin());
        datagram[4] = kProtocolVersion;
        datagram[5] = static_cast<std::uint8_t>(MessageType::kHello);
      }
    } else {
      datagram = valid;  // flip 1-3 bytes of an otherwise valid, cookie-carrying hello
      for (auto flips = 1 + random() % 3; flips > 0; --flips) {
        datagram[random() % datagram.size()] ^= static_cast<std::uint8_t>(1U + random() % 255U);
      }
    }
    const Decision decision = send(a_, datagram);
    ASSERT_NE(decision.action, Action::kForward) << i;
    if (decision.action == Action::kReply) {
      ASSERT_LE(decision.reply_size, datagram.size()) << i;  // never amplifies
      const auto message = parse_server_message(std::span<const std::uint8_t>(reply_).first(decision.reply_size));
      ASSERT_TRUE(message.has_value()) << i;
      ASSERT_NE(message->type, MessageType::kAccept) << i;
    }
    clock_.advance(std::chrono::milliseconds(1));  // keep the hello budget from masking the checks
  }
  EXPECT_EQ(core_->session_count(), 0U);
  EXPECT_EQ(core_->bound_address_count(), 0U);
}

TEST(RelayAlgorithmsTest, InUseAreRegisteredBaselineNames) {
  const auto names = relay_algorithms();
  EXPECT_EQ(names, (std::vector<std::string>{"ed25519", "blake2b", "siphash-2-4"}));
  for (const auto& name : names) {
    EXPECT_EQ(crypto::classify_algorithm(name), crypto::AlgorithmClass::kBaseline) << name;
  }
}

}  // namespace
}  // namespace rustynet::relay
