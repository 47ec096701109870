// SPDX-License-Identifier: Apache-2.0
// Key purpose names and public-half derivation.
#include "rustynet/crypto/key_hierarchy.hpp"

#include <utility>

#include "rustynet/crypto/ed25519.hpp"
#include "rustynet/crypto/x25519.hpp"

namespace rustynet::crypto {

std::string_view to_string(KeyPurpose purpose) noexcept {
  switch (purpose) {
    case KeyPurpose::kNodeIdentity: return "node-identity";
    case KeyPurpose::kNodeTunnel: return "node-tunnel";
    case KeyPurpose::kControlSigning: return "control-signing";
  }
  return "unknown";
}

std::optional<KeyPurpose> parse_key_purpose(std::string_view name) noexcept {
  for (KeyPurpose purpose : {KeyPurpose::kNodeIdentity, KeyPurpose::kNodeTunnel, KeyPurpose::kControlSigning}) {
    if (to_string(purpose) == name) {
      return purpose;
    }
  }
  return std::nullopt;
}

std::optional<KeyPurpose> key_purpose_from_byte(std::uint8_t value) noexcept {
  switch (value) {
    case 1: return KeyPurpose::kNodeIdentity;
    case 2: return KeyPurpose::kNodeTunnel;
    case 3: return KeyPurpose::kControlSigning;
    default: return std::nullopt;
  }
}

KeyAlgorithm algorithm_for(KeyPurpose purpose) noexcept {
  return purpose == KeyPurpose::kNodeTunnel ? KeyAlgorithm::kX25519 : KeyAlgorithm::kEd25519;
}

std::string_view to_string(KeyAlgorithm algorithm) noexcept {
  switch (algorithm) {
    case KeyAlgorithm::kEd25519: return "ed25519";
    case KeyAlgorithm::kX25519: return "x25519";
  }
  return "unknown";
}

base::Result<PublicKeyInfo, CryptoError> public_info_for(KeyPurpose purpose, std::span<const std::uint8_t> secret) {
  if (secret.size() != kCustodySecretSize) {
    return base::unexpected(CryptoError{CryptoErrorKind::kInvalidKey, "custody secret must be 32 bytes"});
  }
  if (algorithm_for(purpose) == KeyAlgorithm::kX25519) {
    RUSTYNET_ASSIGN_OR_RETURN(SecretKey key, SecretKey::from_bytes(secret));
    RUSTYNET_ASSIGN_OR_RETURN(NodeKeyPair pair, NodeKeyPair::from_secret(std::move(key)));
    return PublicKeyInfo{purpose, pair.public_key().to_base64(), pair.key_id()};
  }
  RUSTYNET_ASSIGN_OR_RETURN(Ed25519SigningKey key, Ed25519SigningKey::from_seed(secret));
  return PublicKeyInfo{purpose, key.public_key().to_base64(), key.key_id()};
}

}  // namespace rustynet::crypto
