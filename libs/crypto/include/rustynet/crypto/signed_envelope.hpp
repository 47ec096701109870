// SPDX-License-Identifier: Apache-2.0
// Signed envelope: exact payload bytes + signer key id + validity + generation, Ed25519-signed.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "rustynet/base/result.hpp"
#include "rustynet/crypto/ed25519.hpp"
#include "rustynet/crypto/signed_state_error.hpp"

namespace rustynet::crypto {

// Stable wire numbers; append only. Each type has its own signing domain, so a signature made for
// one type never verifies as another.
enum class ArtifactType : std::uint8_t {
  kNodeState = 1,       // one node's peers + routes + policy digest (libs/policy NodeState)
  kPolicySnapshot = 2,  // the policy document whose digest a node state names
  kRelayTicket = 3,     // a short-lived relay session authorisation (crypto/relay_ticket.hpp)
};

[[nodiscard]] std::string_view to_string(ArtifactType type) noexcept;

// Bounds for untrusted input (docs/signed-state.md).
inline constexpr std::size_t kMaxEnvelopePayload = 8U << 20U;
inline constexpr std::size_t kMaxEnvelopeBytes = kMaxEnvelopePayload + 512;
inline constexpr std::size_t kMaxSubjectLength = 128;
// Clock skew tolerated on both issued_at and expires_at (spec 5.3: +/- 90 s).
inline constexpr std::int64_t kClockSkewSeconds = 90;

using Sha256Digest = std::array<std::uint8_t, 32>;

// The signed fields other than the payload.
struct EnvelopeHeader {
  ArtifactType type = ArtifactType::kNodeState;
  // Whom the artifact is for: a node id for kNodeState; may be empty for network-wide artifacts.
  // 0-128 characters of [A-Za-z0-9._-].
  std::string subject;
  std::int64_t issued_at = 0;    // Unix seconds
  std::int64_t expires_at = 0;   // Unix seconds; must be > issued_at
  std::uint64_t generation = 0;  // >= 1, strictly increasing per (type, subject)
};

// A structurally valid, NOT yet verified envelope. `signed_bytes` is the exact byte range the
// signature covers (everything before the signature); nothing is ever re-serialised.
struct SignedEnvelope {
  EnvelopeHeader header;
  std::string signer_key_id;  // Ed25519PublicKey::key_id() of the signer
  std::vector<std::uint8_t> payload;
  Ed25519Signature signature{};
  std::vector<std::uint8_t> signed_bytes;
  Sha256Digest envelope_digest{};  // SHA-256 of the whole encoded envelope
};

// Encodes and signs. Errors: kInvalidArgument (subject charset/length, expires_at <= issued_at,
// generation 0), kOversize (payload).
[[nodiscard]] base::Result<std::vector<std::uint8_t>, SignedStateError> sign_envelope(
    const Ed25519SigningKey& key, const EnvelopeHeader& header, std::span<const std::uint8_t> payload);

// Strict structural decode: magic, format version, known artifact type, field lengths and charsets,
// no trailing bytes, size bounds. Does not verify the signature (TrustStore::verify does).
// Errors: kOversize, kMalformed.
[[nodiscard]] base::Result<SignedEnvelope, SignedStateError> decode_envelope(std::span<const std::uint8_t> bytes);

// The exact message Ed25519 signs for an envelope of `type`: a per-type domain string followed by
// the envelope bytes before the signature.
[[nodiscard]] std::vector<std::uint8_t> signing_message(ArtifactType type, std::span<const std::uint8_t> signed_bytes);

// SHA-256 (libsodium). Used for envelope identity and for policy digests in node states.
[[nodiscard]] Sha256Digest sha256(std::span<const std::uint8_t> bytes);

}  // namespace rustynet::crypto
