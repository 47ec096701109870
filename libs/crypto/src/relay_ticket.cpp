// SPDX-License-Identifier: Apache-2.0
// Relay tickets on top of the signed envelope: payload codec, issuing and verification.
#include "rustynet/crypto/relay_ticket.hpp"
#include "rustynet/crypto/algorithm_use.hpp"

#include <algorithm>

#include "rustynet/crypto/signed_envelope.hpp"
#include "signed_codec.hpp"

namespace rustynet::crypto {
namespace {

using base::unexpected;

constexpr std::uint8_t kPayloadVersion = 1;

SignedStateError error(SignedStateErrorKind kind, std::string message) {
  return SignedStateError{kind, std::move(message)};
}

bool is_node_id(std::string_view text) { return !text.empty() && detail::is_subject_text(text, kMaxRelayNodeIdLength); }

base::Status<SignedStateError> check_claims(const RelayTicketClaims& claims, SignedStateErrorKind kind) {
  if (claims.relay_id.empty() || !detail::is_subject_text(claims.relay_id, kMaxSubjectLength)) {
    return unexpected(error(kind, "relay id must be 1-128 characters of [A-Za-z0-9._-]"));
  }
  if (!is_node_id(claims.node_id) || !is_node_id(claims.peer_node_id)) {
    return unexpected(error(kind, "node ids must be 1-64 characters of [A-Za-z0-9._-]"));
  }
  if (claims.node_id == claims.peer_node_id) {
    return unexpected(error(kind, "node id and peer node id must differ"));
  }
  if (claims.expires_at <= claims.issued_at) {
    return unexpected(error(kind, "expires_at must be after issued_at"));
  }
  if (claims.expires_at - claims.issued_at > kMaxRelayTicketLifetimeSeconds) {
    return unexpected(error(kind, "ticket lifetime above " + std::to_string(kMaxRelayTicketLifetimeSeconds) + " s"));
  }
  return {};
}

}  // namespace

base::Result<std::vector<std::uint8_t>, SignedStateError> issue_relay_ticket(const Ed25519SigningKey& control_key,
                                                                             const RelayTicketClaims& claims) {
  RUSTYNET_RETURN_IF_ERROR(check_claims(claims, SignedStateErrorKind::kInvalidArgument));
  detail::ByteWriter payload;
  payload.u8(kPayloadVersion);
  payload.bytes(claims.ticket_id);
  payload.bytes(claims.session_id);
  payload.u8(static_cast<std::uint8_t>(claims.node_id.size()));
  payload.text(claims.node_id);
  payload.u8(static_cast<std::uint8_t>(claims.peer_node_id.size()));
  payload.text(claims.peer_node_id);
  const EnvelopeHeader header{ArtifactType::kRelayTicket, claims.relay_id, claims.issued_at, claims.expires_at, 1};
  RUSTYNET_ASSIGN_OR_RETURN(std::vector<std::uint8_t> bytes, sign_envelope(control_key, header, payload.buffer()));
  if (bytes.size() > kMaxRelayTicketBytes) {
    return unexpected(error(SignedStateErrorKind::kOversize,
                            "encoded ticket above " + std::to_string(kMaxRelayTicketBytes) + " bytes"));
  }
  return bytes;
}

base::Result<RelayTicketClaims, SignedStateError> verify_relay_ticket(std::span<const std::uint8_t> ticket,
                                                                      const Ed25519PublicKey& control_key,
                                                                      std::string_view relay_id, base::UnixTime now) {
  if (ticket.size() > kMaxRelayTicketBytes) {
    return unexpected(
        error(SignedStateErrorKind::kOversize, "ticket above " + std::to_string(kMaxRelayTicketBytes) + " bytes"));
  }
  RUSTYNET_ASSIGN_OR_RETURN(SignedEnvelope envelope, decode_envelope(ticket));
  if (envelope.header.type != ArtifactType::kRelayTicket) {
    return unexpected(error(SignedStateErrorKind::kWrongArtifactType,
                            "expected relay-ticket, got " + std::string(to_string(envelope.header.type))));
  }
  // The key id only short-circuits obvious mismatches; the signature check is the binding.
  if (envelope.signer_key_id != control_key.key_id()) {
    return unexpected(error(SignedStateErrorKind::kUnknownSigner, "ticket not signed by the configured control key"));
  }
  if (!control_key.verify(signing_message(envelope.header.type, envelope.signed_bytes), envelope.signature)
           .has_value()) {
    return unexpected(error(SignedStateErrorKind::kBadSignature, "relay ticket signature does not verify"));
  }
  if (envelope.header.subject != relay_id) {
    return unexpected(error(SignedStateErrorKind::kWrongSubject, "ticket is for another relay"));
  }
  detail::ByteReader reader(envelope.payload);
  if (reader.u8() != kPayloadVersion || !reader.ok()) {
    return unexpected(error(SignedStateErrorKind::kMalformed, "unsupported relay ticket payload version"));
  }
  RelayTicketClaims claims;
  claims.relay_id = envelope.header.subject;
  const auto ticket_id = reader.bytes(kRelayTicketIdSize);
  const auto session_id = reader.bytes(kRelaySessionIdSize);
  claims.node_id = reader.text(reader.u8());
  claims.peer_node_id = reader.text(reader.u8());
  if (!reader.ok() || reader.remaining() != 0) {
    return unexpected(error(SignedStateErrorKind::kMalformed, "relay ticket payload truncated or trailing bytes"));
  }
  std::copy(ticket_id.begin(), ticket_id.end(), claims.ticket_id.begin());
  std::copy(session_id.begin(), session_id.end(), claims.session_id.begin());
  claims.issued_at = envelope.header.issued_at;
  claims.expires_at = envelope.header.expires_at;
  RUSTYNET_RETURN_IF_ERROR(check_claims(claims, SignedStateErrorKind::kMalformed));
  if (now.seconds + kClockSkewSeconds < claims.issued_at) {
    return unexpected(error(SignedStateErrorKind::kNotYetValid, "relay ticket issued in the future"));
  }
  if (now.seconds - kClockSkewSeconds >= claims.expires_at) {
    return unexpected(error(SignedStateErrorKind::kExpired, "relay ticket expired"));
  }
  return claims;
}

// Tickets are Ed25519-signed by control and verified by the relay.
AlgorithmNames relay_ticket_algorithms() { return {"ed25519"}; }

}  // namespace rustynet::crypto
