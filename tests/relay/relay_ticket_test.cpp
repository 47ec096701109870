// SPDX-License-Identifier: Apache-2.0
// Relay tickets: issue/verify round trip; forged, wrong-signer, wrong-relay, expired, future and
// wrong-type tickets are refused.
#include "rustynet/crypto/relay_ticket.hpp"

#include <gtest/gtest.h>

#include "relay_test_support.hpp"
#include "rustynet/crypto/signed_envelope.hpp"

namespace rustynet::relay {
namespace {

using crypto::SignedStateErrorKind;
constexpr std::int64_t kNow = 1'800'000'000;

crypto::RelayTicketClaims claims() {
  crypto::RelayTicketClaims c;
  c.relay_id = "relay-1";
  c.ticket_id.fill(7);
  c.session_id.fill(9);
  c.node_id = "node-a";
  c.peer_node_id = "node-b";
  c.issued_at = kNow;
  c.expires_at = kNow + 300;
  return c;
}

SignedStateErrorKind verify_error(std::span<const std::uint8_t> ticket, const crypto::Ed25519PublicKey& key,
                                  std::int64_t now = kNow, std::string_view relay = "relay-1") {
  auto result = crypto::verify_relay_ticket(ticket, key, relay, base::UnixTime{now});
  EXPECT_FALSE(result.has_value());
  return result.has_value() ? SignedStateErrorKind::kMalformed : result.error().kind;
}

TEST(RelayTicketTest, RoundTripKeepsEveryClaim) {
  const auto key = testing::make_key(1);
  const auto ticket = crypto::issue_relay_ticket(key, claims()).value();
  EXPECT_LE(ticket.size(), crypto::kMaxRelayTicketBytes);
  const auto verified = crypto::verify_relay_ticket(ticket, key.public_key(), "relay-1", base::UnixTime{kNow + 10});
  ASSERT_TRUE(verified.has_value()) << verified.error().describe();
  EXPECT_EQ(verified->node_id, "node-a");
  EXPECT_EQ(verified->peer_node_id, "node-b");
  EXPECT_EQ(verified->ticket_id, claims().ticket_id);
  EXPECT_EQ(verified->session_id, claims().session_id);
  EXPECT_EQ(verified->expires_at, kNow + 300);
}

TEST(RelayTicketTest, ForgedWrongSignerWrongRelayRefused) {
  const auto key = testing::make_key(1);
  const auto other = testing::make_key(2);
  auto ticket = crypto::issue_relay_ticket(key, claims()).value();
  EXPECT_EQ(verify_error(ticket, other.public_key()), SignedStateErrorKind::kUnknownSigner);
  EXPECT_EQ(verify_error(ticket, key.public_key(), kNow, "relay-2"), SignedStateErrorKind::kWrongSubject);
  // Flip one byte inside the node id: the structure stays valid, the signature does not.
  auto forged = ticket;
  const std::string needle = "node-a";
  const auto at = std::search(forged.begin(), forged.end(), needle.begin(), needle.end());
  ASSERT_NE(at, forged.end());
  *(at + 5) = 'z';
  EXPECT_EQ(verify_error(forged, key.public_key()), SignedStateErrorKind::kBadSignature);
  // A ticket signed by another key but claiming the control key id cannot exist without the key;
  // signing with the other key gives a different key id and is refused before any signature work.
  const auto foreign = crypto::issue_relay_ticket(other, claims()).value();
  EXPECT_EQ(verify_error(foreign, key.public_key()), SignedStateErrorKind::kUnknownSigner);
  auto truncated = ticket;
  truncated.pop_back();
  EXPECT_EQ(verify_error(truncated, key.public_key()), SignedStateErrorKind::kMalformed);
  std::vector<std::uint8_t> huge(crypto::kMaxRelayTicketBytes + 1, 0);
  EXPECT_EQ(verify_error(huge, key.public_key()), SignedStateErrorKind::kOversize);
}

TEST(RelayTicketTest, ValidityWindowWithSkew) {
  const auto key = testing::make_key(1);
  const auto ticket = crypto::issue_relay_ticket(key, claims()).value();
  EXPECT_TRUE(crypto::verify_relay_ticket(ticket, key.public_key(), "relay-1", base::UnixTime{kNow - 90}).has_value());
  EXPECT_EQ(verify_error(ticket, key.public_key(), kNow - 91), SignedStateErrorKind::kNotYetValid);
  EXPECT_TRUE(
      crypto::verify_relay_ticket(ticket, key.public_key(), "relay-1", base::UnixTime{kNow + 300 + 89}).has_value());
  EXPECT_EQ(verify_error(ticket, key.public_key(), kNow + 300 + 90), SignedStateErrorKind::kExpired);
}

TEST(RelayTicketTest, IssueRejectsBadClaims) {
  const auto key = testing::make_key(1);
  auto long_lived = claims();
  long_lived.expires_at = long_lived.issued_at + crypto::kMaxRelayTicketLifetimeSeconds + 1;
  EXPECT_FALSE(crypto::issue_relay_ticket(key, long_lived).has_value());
  auto self = claims();
  self.peer_node_id = self.node_id;
  EXPECT_FALSE(crypto::issue_relay_ticket(key, self).has_value());
  auto bad_id = claims();
  bad_id.node_id = "node a";
  EXPECT_FALSE(crypto::issue_relay_ticket(key, bad_id).has_value());
  auto no_relay = claims();
  no_relay.relay_id.clear();
  EXPECT_FALSE(crypto::issue_relay_ticket(key, no_relay).has_value());
}

TEST(RelayTicketTest, OtherArtifactTypeIsNotATicket) {
  const auto key = testing::make_key(1);
  const crypto::EnvelopeHeader header{crypto::ArtifactType::kNodeState, "relay-1", kNow, kNow + 300, 1};
  const std::vector<std::uint8_t> payload = {1, 2, 3};
  const auto envelope = crypto::sign_envelope(key, header, payload).value();
  EXPECT_EQ(verify_error(envelope, key.public_key()), SignedStateErrorKind::kWrongArtifactType);
}

}  // namespace
}  // namespace rustynet::relay
