// SPDX-License-Identifier: Apache-2.0
// Subkeys derived from a custody secret (libsodium crypto_kdf): one master secret, many purposes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "rustynet/base/result.hpp"
#include "rustynet/base/secret_bytes.hpp"
#include "rustynet/crypto/crypto_error.hpp"
#include "rustynet/crypto/ed25519.hpp"

namespace rustynet::crypto {

// crypto_kdf_derive_from_key (BLAKE2b keyed with the master secret, personalised by an 8-byte
// context and a 64-bit subkey id). The context and id below are part of the on-disk format of
// every trust state: changing either makes every existing trust state fail its MAC (fail closed,
// the operator must re-enrol). Never reuse this (context, id) pair for another purpose.
inline constexpr std::string_view kTrustStateMacContext = "rntrust1";  // exactly 8 bytes
inline constexpr std::uint64_t kTrustStateMacSubkeyId = 1;
inline constexpr std::size_t kSubkeyMasterSize = 32;
inline constexpr std::size_t kTrustStateMacSubkeySize = 32;

// Derives the 32-byte trust-state MAC key from the node identity secret (the 32-byte Ed25519 seed
// held in custody under kNodeIdentity). Deterministic: the same identity always gives the same
// key, so a restarted daemon can check the trust state it wrote; a different identity gives an
// unrelated key. The signing key itself is never used as a MAC key (one key, one purpose).
// Errors: kInvalidKey (master not 32 bytes or all zero), kInitFailed, kOperationFailed.
[[nodiscard]] base::Result<base::SecretBytes, CryptoError> derive_trust_state_mac_key(
    std::span<const std::uint8_t> identity_secret);
// Same, from the loaded identity key (uses its seed; the temporary copy is wiped).
[[nodiscard]] base::Result<base::SecretBytes, CryptoError> derive_trust_state_mac_key(
    const Ed25519SigningKey& identity);

}  // namespace rustynet::crypto
