// SPDX-License-Identifier: Apache-2.0
// The key hierarchy (docs/key-hierarchy.md): which key serves which purpose, with which algorithm.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "rustynet/base/result.hpp"
#include "rustynet/crypto/crypto_error.hpp"

namespace rustynet::crypto {

// Keys a host holds in custody. Numeric values are stored in key blobs: append only, never
// renumber. Relay credentials are not here on purpose: a relay holds no private key (it only
// verifies control-signed tokens with the control public key), see docs/key-hierarchy.md.
enum class KeyPurpose : std::uint8_t {
  kNodeIdentity = 1,    // Ed25519; the node's long-term identity (enrollment, signed node requests)
  kNodeTunnel = 2,      // X25519; the tunnel static key, rotated independently of the identity
  kControlSigning = 3,  // Ed25519; rustynet-control's signing key for policy/state/tokens
};

enum class KeyAlgorithm : std::uint8_t {
  kEd25519 = 1,
  kX25519 = 2,
};

// Stable names: "node-identity", "node-tunnel", "control-signing" (also the custody file stems).
[[nodiscard]] std::string_view to_string(KeyPurpose purpose) noexcept;
[[nodiscard]] std::optional<KeyPurpose> parse_key_purpose(std::string_view name) noexcept;
[[nodiscard]] std::optional<KeyPurpose> key_purpose_from_byte(std::uint8_t value) noexcept;
[[nodiscard]] KeyAlgorithm algorithm_for(KeyPurpose purpose) noexcept;
[[nodiscard]] std::string_view to_string(KeyAlgorithm algorithm) noexcept;

// Every custody-held secret is 32 bytes: an Ed25519 seed or an X25519 scalar.
inline constexpr std::size_t kCustodySecretSize = 32;

// The public half of a custody secret, for display: base64 and key id. Never includes the secret.
struct PublicKeyInfo {
  KeyPurpose purpose = KeyPurpose::kNodeIdentity;
  std::string public_key_base64;
  std::string key_id;
};

// Derives the public key and key id of `secret` for `purpose`. Errors: kInvalidKey (length),
// kOutOfMemory, kInitFailed.
[[nodiscard]] base::Result<PublicKeyInfo, CryptoError> public_info_for(KeyPurpose purpose,
                                                                       std::span<const std::uint8_t> secret);

}  // namespace rustynet::crypto
