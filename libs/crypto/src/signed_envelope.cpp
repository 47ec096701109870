// SPDX-License-Identifier: Apache-2.0
// Signed envelope: length-prefixed binary encoding, signing, strict decoding, SHA-256.
#include "rustynet/crypto/signed_envelope.hpp"
#include "rustynet/crypto/algorithm_use.hpp"

#include <sodium.h>

#include "signed_codec.hpp"

namespace rustynet::crypto {
namespace {

using base::unexpected;

constexpr std::array<std::uint8_t, 4> kMagic = {'R', 'N', 'S', 'A'};
constexpr std::uint8_t kFormatVersion = 1;

SignedStateError malformed(std::string message) {
  return SignedStateError{SignedStateErrorKind::kMalformed, std::move(message)};
}

bool is_key_id(std::string_view text) {
  if (text.size() != kKeyIdLength) {
    return false;
  }
  for (const char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return true;
}

base::Status<SignedStateError> check_header(const EnvelopeHeader& header) {
  if (header.type != ArtifactType::kNodeState && header.type != ArtifactType::kPolicySnapshot &&
      header.type != ArtifactType::kRelayTicket) {
    return unexpected(SignedStateError{SignedStateErrorKind::kInvalidArgument, "unknown artifact type"});
  }
  if (!detail::is_subject_text(header.subject, kMaxSubjectLength)) {
    return unexpected(
        SignedStateError{SignedStateErrorKind::kInvalidArgument, "subject must be 0-128 characters of [A-Za-z0-9._-]"});
  }
  if (header.expires_at <= header.issued_at) {
    return unexpected(SignedStateError{SignedStateErrorKind::kInvalidArgument, "expires_at must be after issued_at"});
  }
  if (header.generation == 0) {
    return unexpected(SignedStateError{SignedStateErrorKind::kInvalidArgument, "generation must be at least 1"});
  }
  return {};
}

}  // namespace

std::string_view to_string(ArtifactType type) noexcept {
  switch (type) {
    case ArtifactType::kNodeState: return "node-state";
    case ArtifactType::kPolicySnapshot: return "policy-snapshot";
    case ArtifactType::kRelayTicket: return "relay-ticket";
  }
  return "unknown";
}

Sha256Digest sha256(std::span<const std::uint8_t> bytes) {
  Sha256Digest out{};
  crypto_hash_sha256(out.data(), bytes.data(), bytes.size());
  return out;
}

std::vector<std::uint8_t> signing_message(ArtifactType type, std::span<const std::uint8_t> signed_bytes) {
  detail::ByteWriter writer;
  writer.text("rustynet/signed-artifact/v1/");
  writer.text(to_string(type));
  writer.u8(0);
  writer.bytes(signed_bytes);
  return std::move(writer.buffer());
}

base::Result<std::vector<std::uint8_t>, SignedStateError> sign_envelope(const Ed25519SigningKey& key,
                                                                        const EnvelopeHeader& header,
                                                                        std::span<const std::uint8_t> payload) {
  RUSTYNET_RETURN_IF_ERROR(check_header(header));
  if (payload.size() > kMaxEnvelopePayload) {
    return unexpected(SignedStateError{
        SignedStateErrorKind::kOversize,
        "payload is " + std::to_string(payload.size()) + " bytes, limit " + std::to_string(kMaxEnvelopePayload)});
  }
  const std::string key_id = key.key_id();
  detail::ByteWriter writer;
  writer.bytes(kMagic);
  writer.u8(kFormatVersion);
  writer.u8(static_cast<std::uint8_t>(header.type));
  writer.u8(static_cast<std::uint8_t>(key_id.size()));
  writer.text(key_id);
  writer.u16(static_cast<std::uint16_t>(header.subject.size()));
  writer.text(header.subject);
  writer.u64(static_cast<std::uint64_t>(header.issued_at));
  writer.u64(static_cast<std::uint64_t>(header.expires_at));
  writer.u64(header.generation);
  writer.u32(static_cast<std::uint32_t>(payload.size()));
  writer.bytes(payload);
  const Ed25519Signature signature = key.sign(signing_message(header.type, writer.buffer()));
  writer.bytes(signature);
  return std::move(writer.buffer());
}

base::Result<SignedEnvelope, SignedStateError> decode_envelope(std::span<const std::uint8_t> bytes) {
  if (bytes.size() > kMaxEnvelopeBytes) {
    return unexpected(SignedStateError{
        SignedStateErrorKind::kOversize,
        "envelope is " + std::to_string(bytes.size()) + " bytes, limit " + std::to_string(kMaxEnvelopeBytes)});
  }
  detail::ByteReader reader(bytes);
  const auto magic = reader.bytes(kMagic.size());
  if (!reader.ok() || !std::equal(magic.begin(), magic.end(), kMagic.begin())) {
    return unexpected(malformed("not a signed artifact (bad magic)"));
  }
  if (reader.u8() != kFormatVersion || !reader.ok()) {
    return unexpected(malformed("unsupported envelope format version"));
  }
  SignedEnvelope envelope;
  const std::uint8_t type = reader.u8();
  if (type != static_cast<std::uint8_t>(ArtifactType::kNodeState) &&
      type != static_cast<std::uint8_t>(ArtifactType::kPolicySnapshot) &&
      type != static_cast<std::uint8_t>(ArtifactType::kRelayTicket)) {
    return unexpected(malformed("unknown artifact type " + std::to_string(type)));
  }
  envelope.header.type = static_cast<ArtifactType>(type);
  envelope.signer_key_id = reader.text(reader.u8());
  if (!reader.ok() || !is_key_id(envelope.signer_key_id)) {
    return unexpected(malformed("signer key id must be 16 lowercase hex digits"));
  }
  const std::uint16_t subject_length = reader.u16();
  if (subject_length > kMaxSubjectLength) {
    return unexpected(malformed("subject longer than " + std::to_string(kMaxSubjectLength)));
  }
  envelope.header.subject = reader.text(subject_length);
  if (!reader.ok() || !detail::is_subject_text(envelope.header.subject, kMaxSubjectLength)) {
    return unexpected(malformed("subject must be 0-128 characters of [A-Za-z0-9._-]"));
  }
  envelope.header.issued_at = static_cast<std::int64_t>(reader.u64());
  envelope.header.expires_at = static_cast<std::int64_t>(reader.u64());
  envelope.header.generation = reader.u64();
  const std::uint32_t payload_length = reader.u32();
  if (!reader.ok()) {
    return unexpected(malformed("truncated header"));
  }
  if (payload_length > kMaxEnvelopePayload) {
    return unexpected(malformed("payload length above limit " + std::to_string(kMaxEnvelopePayload)));
  }
  // Exactly the payload and the signature must remain: no truncation, no trailing bytes.
  if (reader.remaining() != static_cast<std::size_t>(payload_length) + kEd25519SignatureSize) {
    return unexpected(malformed("length mismatch: truncated or trailing bytes"));
  }
  const auto payload = reader.bytes(payload_length);
  envelope.payload.assign(payload.begin(), payload.end());
  const std::size_t signed_length = reader.position();
  const auto signature = reader.bytes(kEd25519SignatureSize);
  std::copy(signature.begin(), signature.end(), envelope.signature.begin());
  auto header_ok = check_header(envelope.header);
  if (!header_ok.has_value()) {
    return unexpected(malformed(std::move(header_ok).error().message));
  }
  envelope.signed_bytes.assign(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(signed_length));
  envelope.envelope_digest = sha256(bytes);
  return envelope;
}

// Ed25519 over the canonical bytes; SHA-256 envelope digests (crypto_hash_sha256).
AlgorithmNames signed_envelope_algorithms() { return {"ed25519", "sha-256"}; }

}  // namespace rustynet::crypto
