// SPDX-License-Identifier: Apache-2.0
// SignedStateError: typed failures of signed-artifact verification and trust-state persistence.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>

namespace rustynet::crypto {

// Stable kinds; append only, never renumber. Each is an explicit operator-facing reason: the
// daemon shows it and keeps its last good tunnel state.
enum class SignedStateErrorKind : std::uint8_t {
  kMalformed = 0,              // envelope bytes do not decode exactly (lengths, charset, trailing bytes)
  kOversize = 1,               // input larger than the documented bound
  kWrongArtifactType = 2,      // a valid envelope of another artifact type
  kUnknownSigner = 3,          // signer key id is not in the trust state
  kBadSignature = 4,           // the Ed25519 signature does not verify
  kWrongSubject = 5,           // signed for another node / subject
  kClockUnavailable = 6,       // wall clock unusable: validity cannot be judged, so deny
  kNotYetValid = 7,            // issued_at beyond now + skew tolerance
  kExpired = 8,                // expires_at before now - skew tolerance
  kRollback = 9,               // generation lower than the last accepted one
  kGenerationConflict = 10,    // same generation as the last accepted one, different content
  kTrustStateMissing = 11,     // trust-state file does not exist
  kTrustStateCorrupt = 12,     // trust-state file fails its MAC or does not decode
  kTrustStateUnwritable = 13,  // persisting the trust state failed; no further trust decisions
  kTrustStateInsecure = 14,    // trust-state file has wrong owner/mode or is a symlink
  kInvalidArgument = 15,       // bad MAC key size, invalid header fields, duplicate signer
  kCryptoUnavailable = 16,     // libsodium could not initialise
};

struct SignedStateError {
  SignedStateErrorKind kind = SignedStateErrorKind::kMalformed;
  std::string message;  // never contains key material or MAC keys

  // "kind: message"
  [[nodiscard]] std::string describe() const;
};

[[nodiscard]] std::string_view to_string(SignedStateErrorKind kind) noexcept;
std::ostream& operator<<(std::ostream& out, const SignedStateError& error);

}  // namespace rustynet::crypto
