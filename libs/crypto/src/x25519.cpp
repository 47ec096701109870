// SPDX-License-Identifier: Apache-2.0
// X25519 on libsodium crypto_scalarmult.
#include "rustynet/crypto/x25519.hpp"
#include "rustynet/crypto/algorithm_use.hpp"

#include <sodium.h>

#include <algorithm>
#include <ostream>

#include "rustynet/crypto/ed25519.hpp"
#include "rustynet/crypto/encoding.hpp"

namespace rustynet::crypto {
namespace {

static_assert(crypto_scalarmult_BYTES == kX25519KeySize);
static_assert(crypto_scalarmult_SCALARBYTES == kX25519KeySize);

}  // namespace

base::Result<PublicKey, CryptoError> PublicKey::from_bytes(std::span<const std::uint8_t> bytes) {
  if (bytes.size() != kX25519KeySize) {
    return base::unexpected(CryptoError{CryptoErrorKind::kInvalidKey, "x25519 public key must be 32 bytes"});
  }
  std::array<std::uint8_t, kX25519KeySize> array{};
  std::copy(bytes.begin(), bytes.end(), array.begin());
  return PublicKey(array);
}

base::Result<PublicKey, CryptoError> PublicKey::from_base64(std::string_view text) {
  RUSTYNET_ASSIGN_OR_RETURN(std::vector<std::uint8_t> bytes, base64_decode(text));
  return from_bytes(bytes);
}

std::string PublicKey::to_base64() const { return base64_encode(bytes_); }

std::string PublicKey::key_id() const { return key_id_of(bytes_); }

std::ostream& operator<<(std::ostream& out, const PublicKey& key) { return out << "x25519:" << key.to_base64(); }

void clamp_x25519_scalar(std::span<std::uint8_t, kX25519KeySize> scalar) noexcept {
  scalar[0] = static_cast<std::uint8_t>(scalar[0] & 248U);
  scalar[31] = static_cast<std::uint8_t>((scalar[31] & 127U) | 64U);
}

base::Result<SecretKey, CryptoError> SecretKey::from_bytes(std::span<const std::uint8_t> bytes) {
  if (bytes.size() != kX25519KeySize) {
    return base::unexpected(CryptoError{CryptoErrorKind::kInvalidKey, "x25519 secret key must be 32 bytes"});
  }
  RUSTYNET_ASSIGN_OR_RETURN(SecureBuffer buffer, SecureBuffer::copy_of(bytes));
  return SecretKey(std::move(buffer));
}

base::Result<SecretKey, CryptoError> SecretKey::generate() {
  RUSTYNET_ASSIGN_OR_RETURN(SecureBuffer buffer, SecureBuffer::allocate(kX25519KeySize));
  auto view = buffer.mutable_view();
  randombytes_buf(view.data(), view.size());
  clamp_x25519_scalar(view.first<kX25519KeySize>());
  return SecretKey(std::move(buffer));
}

base::Result<SecretKey, CryptoError> SecretKey::clone() const {
  RUSTYNET_ASSIGN_OR_RETURN(SecureBuffer copy, secret_.clone());
  return SecretKey(std::move(copy));
}

std::ostream& operator<<(std::ostream& out, const SecretKey& /*key*/) { return out << "<redacted>"; }

base::Result<NodeKeyPair, CryptoError> NodeKeyPair::generate() {
  RUSTYNET_ASSIGN_OR_RETURN(SecretKey secret, SecretKey::generate());
  return from_secret(std::move(secret));
}

base::Result<NodeKeyPair, CryptoError> NodeKeyPair::from_secret(SecretKey secret) {
  if (secret.expose().size() != kX25519KeySize) {
    return base::unexpected(CryptoError{CryptoErrorKind::kInvalidKey, "x25519 secret key is empty"});
  }
  RUSTYNET_RETURN_IF_ERROR(ensure_sodium());
  std::array<std::uint8_t, kX25519KeySize> public_bytes{};
  if (crypto_scalarmult_base(public_bytes.data(), secret.expose().data()) != 0) {
    return base::unexpected(CryptoError{CryptoErrorKind::kOperationFailed, "x25519 base multiplication failed"});
  }
  RUSTYNET_ASSIGN_OR_RETURN(PublicKey public_key, PublicKey::from_bytes(public_bytes));
  return NodeKeyPair(std::move(secret), public_key);
}

std::ostream& operator<<(std::ostream& out, const NodeKeyPair& pair) {
  return out << "NodeKeyPair{public=" << pair.public_key().to_base64() << ", secret=<redacted>}";
}

base::Result<SecretKey, CryptoError> x25519_shared_secret(const SecretKey& secret, const PublicKey& peer) {
  if (secret.expose().size() != kX25519KeySize) {
    return base::unexpected(CryptoError{CryptoErrorKind::kInvalidKey, "x25519 secret key is empty"});
  }
  RUSTYNET_RETURN_IF_ERROR(ensure_sodium());
  RUSTYNET_ASSIGN_OR_RETURN(SecureBuffer shared, SecureBuffer::allocate(kX25519KeySize));
  if (crypto_scalarmult(shared.mutable_view().data(), secret.expose().data(), peer.bytes().data()) != 0) {
    return base::unexpected(CryptoError{CryptoErrorKind::kOperationFailed, "x25519 produced an all-zero secret"});
  }
  return SecretKey::from_bytes(shared.view());
}

// crypto_scalarmult: the tunnel identity's key agreement.
AlgorithmNames x25519_algorithms() { return {"x25519"}; }

}  // namespace rustynet::crypto
