// SPDX-License-Identifier: Apache-2.0
// Subkey derivation with libsodium crypto_kdf_derive_from_key.
#include "rustynet/crypto/subkey.hpp"

#include <sodium.h>

#include <algorithm>
#include <array>

namespace rustynet::crypto {

static_assert(kTrustStateMacContext.size() == crypto_kdf_CONTEXTBYTES);
static_assert(kSubkeyMasterSize == crypto_kdf_KEYBYTES);
static_assert(kTrustStateMacSubkeySize >= crypto_kdf_BYTES_MIN && kTrustStateMacSubkeySize <= crypto_kdf_BYTES_MAX);

base::Result<base::SecretBytes, CryptoError> derive_trust_state_mac_key(std::span<const std::uint8_t> identity_secret) {
  RUSTYNET_RETURN_IF_ERROR(ensure_sodium());
  if (identity_secret.size() != kSubkeyMasterSize) {
    return base::unexpected(CryptoError{CryptoErrorKind::kInvalidKey, "identity secret must be 32 bytes"});
  }
  if (sodium_is_zero(identity_secret.data(), identity_secret.size()) == 1) {
    return base::unexpected(CryptoError{CryptoErrorKind::kInvalidKey, "identity secret is all zero"});
  }
  std::array<char, crypto_kdf_CONTEXTBYTES> context{};
  std::copy(kTrustStateMacContext.begin(), kTrustStateMacContext.end(), context.begin());
  base::SecretBytes subkey(kTrustStateMacSubkeySize);
  if (crypto_kdf_derive_from_key(subkey.mutable_view().data(), subkey.size(), kTrustStateMacSubkeyId, context.data(),
                                 identity_secret.data()) != 0) {
    return base::unexpected(CryptoError{CryptoErrorKind::kOperationFailed, "crypto_kdf_derive_from_key failed"});
  }
  return subkey;
}

base::Result<base::SecretBytes, CryptoError> derive_trust_state_mac_key(const Ed25519SigningKey& identity) {
  const base::SecretBytes seed = identity.export_seed();
  return derive_trust_state_mac_key(seed.view());
}

}  // namespace rustynet::crypto
