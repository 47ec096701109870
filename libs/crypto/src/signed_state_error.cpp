// SPDX-License-Identifier: Apache-2.0
// SignedStateError names and formatting.
#include "rustynet/crypto/signed_state_error.hpp"

#include <ostream>

namespace rustynet::crypto {

std::string_view to_string(SignedStateErrorKind kind) noexcept {
  switch (kind) {
    case SignedStateErrorKind::kMalformed: return "malformed";
    case SignedStateErrorKind::kOversize: return "oversize";
    case SignedStateErrorKind::kWrongArtifactType: return "wrong_artifact_type";
    case SignedStateErrorKind::kUnknownSigner: return "unknown_signer";
    case SignedStateErrorKind::kBadSignature: return "bad_signature";
    case SignedStateErrorKind::kWrongSubject: return "wrong_subject";
    case SignedStateErrorKind::kClockUnavailable: return "clock_unavailable";
    case SignedStateErrorKind::kNotYetValid: return "not_yet_valid";
    case SignedStateErrorKind::kExpired: return "expired";
    case SignedStateErrorKind::kRollback: return "rollback";
    case SignedStateErrorKind::kGenerationConflict: return "generation_conflict";
    case SignedStateErrorKind::kTrustStateMissing: return "trust_state_missing";
    case SignedStateErrorKind::kTrustStateCorrupt: return "trust_state_corrupt";
    case SignedStateErrorKind::kTrustStateUnwritable: return "trust_state_unwritable";
    case SignedStateErrorKind::kTrustStateInsecure: return "trust_state_insecure";
    case SignedStateErrorKind::kInvalidArgument: return "invalid_argument";
    case SignedStateErrorKind::kCryptoUnavailable: return "crypto_unavailable";
  }
  return "unknown";
}

std::string SignedStateError::describe() const { return std::string(to_string(kind)) + ": " + message; }

std::ostream& operator<<(std::ostream& out, const SignedStateError& error) { return out << error.describe(); }

}  // namespace rustynet::crypto
