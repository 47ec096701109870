// SPDX-License-Identifier: Apache-2.0
// Relay tickets: control-signed, short-lived authorisations for one node's side of a relay session.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "rustynet/base/clock.hpp"
#include "rustynet/base/result.hpp"
#include "rustynet/crypto/ed25519.hpp"
#include "rustynet/crypto/signed_state_error.hpp"

namespace rustynet::crypto {

// A relay ticket is a signed envelope (signed_envelope.hpp) of type kRelayTicket whose subject is
// the relay id it is valid on and whose payload is:
//   u8 version (1) | ticket_id[16] | session_id[16] | u8 len | node_id | u8 len | peer_node_id
// Control issues one ticket per side: both carry the same session_id, each names its holder as
// node_id. The relay verifies with the control public key only (it holds no other key).
inline constexpr std::size_t kRelayTicketIdSize = 16;
inline constexpr std::size_t kRelaySessionIdSize = 16;
inline constexpr std::size_t kMaxRelayNodeIdLength = 64;
// Upper bound of an encoded ticket; larger input is refused before any parsing.
inline constexpr std::size_t kMaxRelayTicketBytes = 512;
// Tickets are short-lived: expires_at - issued_at may not exceed this.
inline constexpr std::int64_t kMaxRelayTicketLifetimeSeconds = 600;

using RelayTicketId = std::array<std::uint8_t, kRelayTicketIdSize>;
using RelaySessionId = std::array<std::uint8_t, kRelaySessionIdSize>;

struct RelayTicketClaims {
  std::string relay_id;         // the relay this ticket is valid on; 1-128 of [A-Za-z0-9._-]
  RelayTicketId ticket_id{};    // unique per ticket (replay key); random from control
  RelaySessionId session_id{};  // shared by the two tickets of one session
  std::string node_id;          // the holder; 1-64 of [A-Za-z0-9._-]
  std::string peer_node_id;     // the other side; same charset, different from node_id
  std::int64_t issued_at = 0;   // Unix seconds
  std::int64_t expires_at = 0;  // Unix seconds; issued_at < expires_at <= issued_at + 600
};

// Signs a ticket (control side). Errors: kInvalidArgument (ids, times, lifetime).
[[nodiscard]] base::Result<std::vector<std::uint8_t>, SignedStateError> issue_relay_ticket(
    const Ed25519SigningKey& control_key, const RelayTicketClaims& claims);

// Verifies a ticket (relay side), in this order: size bound, strict envelope decode, artifact type,
// signer key id, Ed25519 signature, subject == relay_id, payload decode, lifetime bound, validity
// window at `now` with kClockSkewSeconds tolerance. Replay is NOT checked here (the relay's
// bounded store does). Errors: kOversize, kMalformed, kWrongArtifactType, kUnknownSigner,
// kBadSignature, kWrongSubject, kNotYetValid, kExpired.
[[nodiscard]] base::Result<RelayTicketClaims, SignedStateError> verify_relay_ticket(
    std::span<const std::uint8_t> ticket, const Ed25519PublicKey& control_key, std::string_view relay_id,
    base::UnixTime now);

}  // namespace rustynet::crypto
