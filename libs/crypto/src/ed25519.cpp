// SPDX-License-Identifier: Apache-2.0
// Ed25519 on libsodium crypto_sign_*; key ids on BLAKE2b (crypto_generichash).
#include "rustynet/crypto/ed25519.hpp"
#include "rustynet/crypto/algorithm_use.hpp"

#include <sodium.h>

#include <algorithm>
#include <cstdlib>
#include <ostream>
#include <string_view>

#include "rustynet/crypto/encoding.hpp"

namespace rustynet::crypto {
namespace {

static_assert(crypto_sign_PUBLICKEYBYTES == kEd25519PublicKeySize);
static_assert(crypto_sign_SEEDBYTES == kEd25519SeedSize);
static_assert(crypto_sign_BYTES == kEd25519SignatureSize);

constexpr std::string_view kKeyIdDomain = "rustynet-key-id-v1";
constexpr std::size_t kKeyIdBytes = kKeyIdLength / 2;

CryptoError invalid_key(const char* what) { return CryptoError{CryptoErrorKind::kInvalidKey, what}; }

}  // namespace

std::string key_id_of(std::span<const std::uint8_t> public_key_bytes) {
  std::array<std::uint8_t, crypto_generichash_BYTES> digest{};
  crypto_generichash_state state;
  crypto_generichash_init(&state, nullptr, 0, digest.size());
  std::array<std::uint8_t, kKeyIdDomain.size()> domain{};
  std::transform(kKeyIdDomain.begin(), kKeyIdDomain.end(), domain.begin(),
                 [](char c) { return static_cast<std::uint8_t>(c); });
  crypto_generichash_update(&state, domain.data(), domain.size());
  crypto_generichash_update(&state, public_key_bytes.data(), public_key_bytes.size());
  crypto_generichash_final(&state, digest.data(), digest.size());
  return hex_encode(std::span<const std::uint8_t>(digest).first(kKeyIdBytes));
}

base::Result<Ed25519PublicKey, CryptoError> Ed25519PublicKey::from_bytes(std::span<const std::uint8_t> bytes) {
  RUSTYNET_RETURN_IF_ERROR(ensure_sodium());
  if (bytes.size() != kEd25519PublicKeySize) {
    return base::unexpected(invalid_key("ed25519 public key must be 32 bytes"));
  }
  // Rejects non-canonical encodings, points not on the curve and small-order points, which would
  // otherwise let "signatures" verify under a degenerate key.
  if (crypto_core_ed25519_is_valid_point(bytes.data()) != 1) {
    return base::unexpected(invalid_key("ed25519 public key is not a valid point"));
  }
  std::array<std::uint8_t, kEd25519PublicKeySize> array{};
  std::copy(bytes.begin(), bytes.end(), array.begin());
  return Ed25519PublicKey(array);
}

base::Result<Ed25519PublicKey, CryptoError> Ed25519PublicKey::from_base64(std::string_view text) {
  RUSTYNET_ASSIGN_OR_RETURN(std::vector<std::uint8_t> bytes, base64_decode(text));
  return from_bytes(bytes);
}

std::string Ed25519PublicKey::to_base64() const { return base64_encode(bytes_); }

base::Status<CryptoError> Ed25519PublicKey::verify(std::span<const std::uint8_t> message,
                                                   std::span<const std::uint8_t> signature) const {
  if (signature.size() != kEd25519SignatureSize) {
    return base::unexpected(CryptoError{CryptoErrorKind::kVerifyFailed, "signature must be 64 bytes"});
  }
  if (crypto_sign_verify_detached(signature.data(), message.data(), message.size(), bytes_.data()) != 0) {
    return base::unexpected(CryptoError{CryptoErrorKind::kVerifyFailed, "ed25519 signature did not verify"});
  }
  return {};
}

std::ostream& operator<<(std::ostream& out, const Ed25519PublicKey& key) {
  return out << "ed25519:" << key.to_base64();
}

base::Result<Ed25519SigningKey, CryptoError> Ed25519SigningKey::generate() {
  RUSTYNET_ASSIGN_OR_RETURN(SecureBuffer secret, SecureBuffer::allocate(crypto_sign_SECRETKEYBYTES));
  std::array<std::uint8_t, kEd25519PublicKeySize> public_bytes{};
  if (crypto_sign_keypair(public_bytes.data(), secret.mutable_view().data()) != 0) {
    return base::unexpected(CryptoError{CryptoErrorKind::kOperationFailed, "ed25519 key generation failed"});
  }
  RUSTYNET_ASSIGN_OR_RETURN(Ed25519PublicKey public_key, Ed25519PublicKey::from_bytes(public_bytes));
  return Ed25519SigningKey(std::move(secret), public_key);
}

base::Result<Ed25519SigningKey, CryptoError> Ed25519SigningKey::from_seed(std::span<const std::uint8_t> seed) {
  if (seed.size() != kEd25519SeedSize) {
    return base::unexpected(invalid_key("ed25519 seed must be 32 bytes"));
  }
  RUSTYNET_ASSIGN_OR_RETURN(SecureBuffer secret, SecureBuffer::allocate(crypto_sign_SECRETKEYBYTES));
  std::array<std::uint8_t, kEd25519PublicKeySize> public_bytes{};
  if (crypto_sign_seed_keypair(public_bytes.data(), secret.mutable_view().data(), seed.data()) != 0) {
    return base::unexpected(CryptoError{CryptoErrorKind::kOperationFailed, "ed25519 key derivation failed"});
  }
  RUSTYNET_ASSIGN_OR_RETURN(Ed25519PublicKey public_key, Ed25519PublicKey::from_bytes(public_bytes));
  return Ed25519SigningKey(std::move(secret), public_key);
}

Ed25519Signature Ed25519SigningKey::sign(std::span<const std::uint8_t> message) const {
  if (secret_.size() != crypto_sign_SECRETKEYBYTES) {
    std::abort();  // use after move: a programming error, never an expected failure
  }
  Ed25519Signature signature{};
  crypto_sign_detached(signature.data(), nullptr, message.data(), message.size(), secret_.view().data());
  return signature;
}

base::SecretBytes Ed25519SigningKey::export_seed() const {
  if (secret_.size() != crypto_sign_SECRETKEYBYTES) {
    std::abort();
  }
  base::SecretBytes seed(kEd25519SeedSize);
  crypto_sign_ed25519_sk_to_seed(seed.mutable_view().data(), secret_.view().data());
  return seed;
}

base::Result<Ed25519SigningKey, CryptoError> Ed25519SigningKey::clone() const {
  RUSTYNET_ASSIGN_OR_RETURN(SecureBuffer copy, secret_.clone());
  return Ed25519SigningKey(std::move(copy), public_key_);
}

std::ostream& operator<<(std::ostream& out, const Ed25519SigningKey& key) {
  return out << "Ed25519SigningKey{public=" << key.public_key().to_base64() << ", secret=<redacted>}";
}

// Signatures (crypto_sign_*) and key ids (BLAKE2b, crypto_generichash).
AlgorithmNames ed25519_algorithms() { return {"ed25519", "blake2b"}; }

}  // namespace rustynet::crypto
