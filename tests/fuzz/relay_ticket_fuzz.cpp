// SPDX-License-Identifier: Apache-2.0
// Fuzz target: crypto::verify_relay_ticket (tickets arrive from the network inside relay hellos).
// Raw inputs exercise the envelope and signature checks; in the second mode the harness signs the
// fuzzed payload with the control key, so the payload parser behind the signature is reached too.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_support.hpp"
#include "rustynet/base/clock.hpp"
#include "rustynet/crypto/ed25519.hpp"
#include "rustynet/crypto/relay_ticket.hpp"
#include "rustynet/crypto/signed_envelope.hpp"

namespace crypto = rustynet::crypto;

namespace {

constexpr std::string_view kRelayId = "relay-1";
constexpr std::int64_t kNow = 1'800'000'000;

// The fixed control key of the seed corpus (seed bytes 0x11): tests/fuzz/README.md shows how the
// valid seed tickets were made.
const crypto::Ed25519SigningKey& control_key() {
  static const crypto::Ed25519SigningKey key = [] {
    std::array<std::uint8_t, 32> seed{};
    seed.fill(0x11);
    return crypto::Ed25519SigningKey::from_seed(seed).value();
  }();
  return key;
}

void check_accepted(const crypto::RelayTicketClaims& claims) {
  FUZZ_CHECK(claims.relay_id == kRelayId);
  FUZZ_CHECK(claims.issued_at < claims.expires_at);
  FUZZ_CHECK(claims.expires_at - claims.issued_at <= crypto::kMaxRelayTicketLifetimeSeconds);
  FUZZ_CHECK(kNow + crypto::kClockSkewSeconds >= claims.issued_at);
  FUZZ_CHECK(kNow - crypto::kClockSkewSeconds < claims.expires_at);
  FUZZ_CHECK(!claims.node_id.empty() && claims.node_id != claims.peer_node_id);
  FUZZ_CHECK(claims.node_id.size() <= crypto::kMaxRelayNodeIdLength);
  // Re-issuing the accepted claims gives a ticket that verifies to the same claims.
  auto reissued = crypto::issue_relay_ticket(control_key(), claims);
  FUZZ_CHECK(reissued.has_value());
  auto again =
      crypto::verify_relay_ticket(*reissued, control_key().public_key(), kRelayId, rustynet::base::UnixTime{kNow});
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(again->ticket_id == claims.ticket_id && again->session_id == claims.session_id);
  FUZZ_CHECK(again->node_id == claims.node_id && again->peer_node_id == claims.peer_node_id);
  FUZZ_CHECK(again->issued_at == claims.issued_at && again->expires_at == claims.expires_at);
  // The same ticket is refused on another relay.
  FUZZ_CHECK(
      !crypto::verify_relay_ticket(*reissued, control_key().public_key(), "relay-2", rustynet::base::UnixTime{kNow})
           .has_value());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  rustynet::fuzz::FuzzInput input(data, size);
  const std::uint8_t mode = input.take_byte();
  const rustynet::base::UnixTime now{kNow};
  if ((mode & 1U) == 0) {
    auto claims = crypto::verify_relay_ticket(input.rest(), control_key().public_key(), kRelayId, now);
    if (claims.has_value()) {
      check_accepted(*claims);
    }
    return 0;
  }
  // Signed mode: the rest is the ticket payload; the mode byte picks the validity window.
  crypto::EnvelopeHeader header;
  header.type = crypto::ArtifactType::kRelayTicket;
  header.subject = std::string(kRelayId);
  header.issued_at = kNow - 8 * static_cast<std::int64_t>(mode >> 4U);
  header.expires_at = header.issued_at + 1 + 60 * static_cast<std::int64_t>((mode >> 1U) & 0x7U) * 2;
  header.generation = 1;
  auto ticket = crypto::sign_envelope(control_key(), header, input.rest());
  if (!ticket.has_value()) {
    return 0;
  }
  auto claims = crypto::verify_relay_ticket(*ticket, control_key().public_key(), kRelayId, now);
  if (claims.has_value()) {
    check_accepted(*claims);
  }
  return 0;
}
