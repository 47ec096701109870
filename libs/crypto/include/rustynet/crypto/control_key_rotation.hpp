// SPDX-License-Identifier: Apache-2.0
// Control signing-key rotation: the trust rule that lets nodes move to a new control key.
#pragma once

#include <cstdint>
#include <vector>

#include "rustynet/base/clock.hpp"
#include "rustynet/base/result.hpp"
#include "rustynet/crypto/crypto_error.hpp"
#include "rustynet/crypto/ed25519.hpp"

namespace rustynet::crypto {

// "Key `previous` hands control signing over to key `next`, as rotation number `sequence`,
// effective from `not_before`."
struct ControlKeyRotation {
  Ed25519PublicKey previous;
  Ed25519PublicKey next;
  std::uint64_t sequence = 0;
  base::UnixTime not_before;
};

// The statement is signed twice: by the outgoing key (authorisation) and by the incoming key
// (proof of possession, so nobody can rotate trust onto a key they do not hold).
struct SignedControlKeyRotation {
  ControlKeyRotation rotation;
  Ed25519Signature by_previous{};
  Ed25519Signature by_next{};
};

// What a node trusts now: the current control key and the sequence number it was reached with
// (0 for the key pinned at enrollment).
struct TrustedControlKey {
  Ed25519PublicKey key;
  std::uint64_t sequence = 0;
};

// Canonical bytes both signatures cover: "rustynet-control-key-rotation-v1" NUL, previous (32),
// next (32), sequence (u64 big-endian), not_before seconds (i64 big-endian).
[[nodiscard]] std::vector<std::uint8_t> control_key_rotation_bytes(const ControlKeyRotation& rotation);

// Signs a rotation. Errors: kInvalidArgument when previous == next or the keys do not match
// `rotation`.
[[nodiscard]] base::Result<SignedControlKeyRotation, CryptoError> sign_control_key_rotation(
    const ControlKeyRotation& rotation, const Ed25519SigningKey& previous, const Ed25519SigningKey& next);

// The trust rule. Accepts only if: rotation.previous is the trusted key; sequence is exactly
// trusted.sequence + 1 (no replays, no skipping: each hop is seen in order); next differs from
// previous; both signatures verify; now >= not_before. Returns the new trusted key.
// Errors: kVerifyFailed (signature, wrong previous key), kInvalidArgument (sequence, same key,
// not yet valid). Out-of-band re-pinning by the operator is the only other way to change trust.
[[nodiscard]] base::Result<TrustedControlKey, CryptoError> accept_control_key_rotation(
    const TrustedControlKey& trusted, const SignedControlKeyRotation& signed_rotation, base::UnixTime now);

}  // namespace rustynet::crypto
