// SPDX-License-Identifier: Apache-2.0
// Shared fixtures for relay tests: a control signing key that issues tickets, and an event recorder.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "rustynet/crypto/ed25519.hpp"
#include "rustynet/crypto/relay_ticket.hpp"
#include "rustynet/relay/security_events.hpp"

namespace rustynet::relay::testing {

inline crypto::Ed25519SigningKey make_key(std::uint8_t seed_byte) {
  std::vector<std::uint8_t> seed(crypto::kEd25519SeedSize, seed_byte);
  return crypto::Ed25519SigningKey::from_seed(seed).value();
}

inline crypto::RelaySessionId session_id(std::uint8_t tag) {
  crypto::RelaySessionId id{};
  id.fill(tag);
  return id;
}

// Issues tickets like rustynet-control would: fresh ticket id per call.
class TicketIssuer {
 public:
  explicit TicketIssuer(std::uint8_t seed_byte, std::string relay_id = "relay-1")
      : key_(make_key(seed_byte)), relay_id_(std::move(relay_id)) {}

  [[nodiscard]] std::vector<std::uint8_t> issue(const std::string& node, const std::string& peer,
                                                const crypto::RelaySessionId& session, std::int64_t issued_at,
                                                std::int64_t lifetime = 300) {
    crypto::RelayTicketClaims claims;
    claims.relay_id = relay_id_;
    claims.session_id = session;
    ++counter_;
    claims.ticket_id.fill(0);
    for (std::size_t i = 0; i < 8; ++i) {
      claims.ticket_id[i] = static_cast<std::uint8_t>(counter_ >> (8U * i));
    }
    claims.ticket_id[15] = session[0];
    claims.node_id = node;
    claims.peer_node_id = peer;
    claims.issued_at = issued_at;
    claims.expires_at = issued_at + lifetime;
    return crypto::issue_relay_ticket(key_, claims).value();
  }
  [[nodiscard]] const crypto::Ed25519PublicKey& public_key() const { return key_.public_key(); }
  [[nodiscard]] const crypto::Ed25519SigningKey& key() const { return key_; }

 private:
  crypto::Ed25519SigningKey key_;
  std::string relay_id_;
  std::uint64_t counter_ = 0;
};

class RecordingSink final : public EventSink {
 public:
  void record(const SecurityEvent& event) override { events.push_back(event); }
  [[nodiscard]] std::size_t count(SecurityEventKind kind) const {
    std::size_t n = 0;
    for (const auto& e : events) {
      n += e.kind == kind ? 1 : 0;
    }
    return n;
  }
  std::vector<SecurityEvent> events;
};

}  // namespace rustynet::relay::testing
