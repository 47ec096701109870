// SPDX-License-Identifier: Apache-2.0
// Trust state: trusted signer keys and last accepted generations, MAC-protected on disk, fail closed.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "rustynet/base/clock.hpp"
#include "rustynet/base/file_io.hpp"
#include "rustynet/base/result.hpp"
#include "rustynet/base/secret_bytes.hpp"
#include "rustynet/crypto/ed25519.hpp"
#include "rustynet/crypto/signed_envelope.hpp"
#include "rustynet/crypto/signed_state_error.hpp"

namespace rustynet::crypto {

// The last artifact accepted for one (type, subject).
struct AcceptedGeneration {
  ArtifactType type = ArtifactType::kNodeState;
  std::string subject;
  std::uint64_t generation = 0;
  Sha256Digest envelope_digest{};
  friend bool operator==(const AcceptedGeneration&, const AcceptedGeneration&) = default;
};

// In-memory trust data: a plain value, no I/O.
struct TrustState {
  std::vector<Ed25519PublicKey> signers;
  std::vector<AcceptedGeneration> accepted;

  [[nodiscard]] const Ed25519PublicKey* find_signer(std::string_view key_id) const;
  [[nodiscard]] const AcceptedGeneration* find_accepted(ArtifactType type, std::string_view subject) const;
  friend bool operator==(const TrustState&, const TrustState&) = default;
};

// The MAC key size (crypto_auth, HMAC-SHA-512-256).
inline constexpr std::size_t kTrustStateMacKeySize = 32;
inline constexpr std::size_t kMaxTrustStateBytes = 1U << 20U;
inline constexpr std::size_t kMaxTrustedSigners = 64;
inline constexpr std::size_t kMaxAcceptedRecords = 4096;

// Binary encoding with a trailing HMAC-SHA-512-256 over a domain string and all preceding bytes.
// Errors: kInvalidArgument (key size, too many entries, bad subject).
[[nodiscard]] base::Result<std::vector<std::uint8_t>, SignedStateError> encode_trust_state(
    const TrustState& state, const base::SecretBytes& mac_key);
// MAC checked (constant time) before anything else is read. Errors: kTrustStateCorrupt,
// kInvalidArgument (key size).
[[nodiscard]] base::Result<TrustState, SignedStateError> decode_trust_state(std::span<const std::uint8_t> bytes,
                                                                            const base::SecretBytes& mac_key);

// An envelope that passed every check in TrustStore::verify. Only TrustStore creates these.
struct VerifiedArtifact {
  EnvelopeHeader header;
  std::string signer_key_id;
  std::vector<std::uint8_t> payload;  // the exact signed payload bytes
  Sha256Digest envelope_digest{};
  bool already_accepted = false;  // same generation and bytes as the last accepted: idempotent
};

// The daemon's trust anchor, persisted at one path. Fail-closed: if the file is missing, corrupt,
// insecure, or a write ever fails, status() holds the reason and every trust-required operation
// (verify, commit, signer changes) returns that error until reload() succeeds. Nothing here ever
// falls back to "no checks".
//
// Not thread-safe: one owner (the daemon's state-apply loop) serialises calls.
class TrustStore {
 public:
  struct Options {
    std::string path;
    // When set (the default), the file must be a regular file owned by the effective uid with mode
    // 0600 (base::check_private_file); tests may point this at their own uid.
    bool require_private_file = true;
    // Test-only crash simulation for the atomic write.
    base::AtomicWriteOptions write_options;
  };

  // Loads and MAC-checks the file. Never fails: a failure is kept in status().
  // `mac_key` comes from key custody (32 bytes); the store keeps its own copy.
  [[nodiscard]] static TrustStore open(Options options, base::SecretBytes mac_key);

  // First-time provisioning (enrollment): writes a new trust state with `signers` and no accepted
  // generations. Refuses to overwrite an existing file (kInvalidArgument): rollback protection must
  // never be reset silently.
  [[nodiscard]] static base::Result<TrustStore, SignedStateError> initialize(
      Options options, base::SecretBytes mac_key, const std::vector<Ed25519PublicKey>& signers);

  // Ok, or why trust-required operations are denied.
  [[nodiscard]] base::Status<SignedStateError> status() const;

  // Verification order (docs/signed-state.md): store usable -> size -> structure -> artifact type
  // -> known signer -> signature over the exact bytes -> subject -> wall clock usable -> not yet
  // valid / expired (+/- kClockSkewSeconds) -> generation (rollback / conflict). No state changes.
  [[nodiscard]] base::Result<VerifiedArtifact, SignedStateError> verify(std::span<const std::uint8_t> envelope,
                                                                        ArtifactType expected_type,
                                                                        std::string_view expected_subject,
                                                                        const base::Clock& clock) const;

  // Records `artifact` as the last accepted for its (type, subject) and persists atomically.
  // Call after the payload is parsed and staged, before applying it. Re-checks the generation (a
  // commit of an older verification can not roll back). On a write failure the in-memory state is
  // unchanged and the store enters the kTrustStateUnwritable failed state.
  [[nodiscard]] base::Status<SignedStateError> commit(const VerifiedArtifact& artifact);
  // Commits several artifacts (e.g. a node state and the policy snapshot it names) in ONE atomic
  // write: either all their generations are recorded or none. Same errors as commit().
  [[nodiscard]] base::Status<SignedStateError> commit(std::span<const VerifiedArtifact* const> artifacts);

  // Key rotation: add the new signer, let artifacts signed by it arrive, then remove the old one.
  // Errors: the failed state, kInvalidArgument (duplicate key id / unknown key id / last signer /
  // limit), kTrustStateUnwritable.
  [[nodiscard]] base::Status<SignedStateError> add_signer(const Ed25519PublicKey& key);
  [[nodiscard]] base::Status<SignedStateError> remove_signer(std::string_view key_id);

  // Re-reads the file (after an operator repaired it). On success the failed state is cleared; on
  // failure the previous in-memory state is kept but stays unusable.
  [[nodiscard]] base::Status<SignedStateError> reload();

  // The in-memory state (for status output); meaningful only while status() is ok.
  [[nodiscard]] const TrustState& state() const noexcept { return state_; }

 private:
  TrustStore(Options options, base::SecretBytes mac_key) : options_(std::move(options)), mac_key_(std::move(mac_key)) {}
  base::Status<SignedStateError> persist(const TrustState& next);

  Options options_;
  base::SecretBytes mac_key_;
  TrustState state_;
  std::optional<SignedStateError> failure_;
};

}  // namespace rustynet::crypto
