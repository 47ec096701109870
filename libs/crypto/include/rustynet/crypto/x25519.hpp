// SPDX-License-Identifier: Apache-2.0
// X25519 tunnel keys (RFC 7748), byte- and base64-compatible with the tunnel's static keys.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "rustynet/base/result.hpp"
#include "rustynet/crypto/crypto_error.hpp"
#include "rustynet/crypto/secure_buffer.hpp"

namespace rustynet::crypto {

inline constexpr std::size_t kX25519KeySize = 32;

// An X25519 public key (any 32 bytes: X25519 public keys are u-coordinates and every value is
// usable; degenerate keys are caught when a shared secret comes out all-zero). Value type.
class PublicKey {
 public:
  // Errors: kInvalidKey (length != 32).
  [[nodiscard]] static base::Result<PublicKey, CryptoError> from_bytes(std::span<const std::uint8_t> bytes);
  // 44-character standard padded base64, the format of tunnel public keys. Errors:
  // kInvalidEncoding, kInvalidKey.
  [[nodiscard]] static base::Result<PublicKey, CryptoError> from_base64(std::string_view text);

  [[nodiscard]] std::string to_base64() const;
  [[nodiscard]] std::span<const std::uint8_t, kX25519KeySize> bytes() const noexcept { return bytes_; }
  // See key_id_of() in ed25519.hpp.
  [[nodiscard]] std::string key_id() const;

  friend bool operator==(const PublicKey&, const PublicKey&) = default;
  friend auto operator<=>(const PublicKey&, const PublicKey&) = default;

 private:
  explicit PublicKey(const std::array<std::uint8_t, kX25519KeySize>& bytes) : bytes_(bytes) {}
  std::array<std::uint8_t, kX25519KeySize> bytes_{};
};

// Writes "x25519:<base64>".
std::ostream& operator<<(std::ostream& out, const PublicKey& key);

// An X25519 secret scalar in a SecureBuffer: move-only, zeroised on destruction and move, locked
// where the OS allows, constant-time ==, "<redacted>" in every formatting path. Moved-from keys
// are empty (expose() returns an empty span).
class SecretKey {
 public:
  // Errors: kInvalidKey (length != 32), kOutOfMemory.
  [[nodiscard]] static base::Result<SecretKey, CryptoError> from_bytes(std::span<const std::uint8_t> bytes);
  // Fresh random scalar, clamped like the tunnel's genkey (bits 0-2 and 255 cleared, bit 254 set).
  [[nodiscard]] static base::Result<SecretKey, CryptoError> generate();

  SecretKey(const SecretKey&) = delete;
  SecretKey& operator=(const SecretKey&) = delete;
  SecretKey(SecretKey&&) noexcept = default;
  SecretKey& operator=(SecretKey&&) noexcept = default;
  ~SecretKey() = default;

  // The raw scalar, for handing to the tunnel backend or to custody. Never log or format it.
  [[nodiscard]] std::span<const std::uint8_t> expose() const noexcept { return secret_.view(); }
  [[nodiscard]] bool empty() const noexcept { return secret_.empty(); }
  // Errors: kOutOfMemory.
  [[nodiscard]] base::Result<SecretKey, CryptoError> clone() const;

  // Constant-time.
  friend bool operator==(const SecretKey& a, const SecretKey& b) noexcept { return a.secret_ == b.secret_; }

 private:
  explicit SecretKey(SecureBuffer secret) : secret_(std::move(secret)) {}
  SecureBuffer secret_;
};

std::ostream& operator<<(std::ostream& out, const SecretKey& key);

// Clears bits 0-2 and 255 and sets bit 254 (RFC 7748 section 5 decodeScalar25519).
void clamp_x25519_scalar(std::span<std::uint8_t, kX25519KeySize> scalar) noexcept;

// A node's tunnel static key pair. Move-only (owns a SecretKey).
class NodeKeyPair {
 public:
  // Errors: kInitFailed, kOutOfMemory.
  [[nodiscard]] static base::Result<NodeKeyPair, CryptoError> generate();
  // Derives the public key (X25519 base-point multiplication, which clamps internally, so an
  // unclamped imported scalar gives the same public key as the tunnel would). Errors: kInvalidKey
  // (empty secret), kOperationFailed.
  [[nodiscard]] static base::Result<NodeKeyPair, CryptoError> from_secret(SecretKey secret);

  [[nodiscard]] const PublicKey& public_key() const noexcept { return public_key_; }
  [[nodiscard]] const SecretKey& secret_key() const noexcept { return secret_key_; }
  [[nodiscard]] std::string key_id() const { return public_key_.key_id(); }

 private:
  NodeKeyPair(SecretKey secret, PublicKey public_key) : secret_key_(std::move(secret)), public_key_(public_key) {}
  SecretKey secret_key_;
  PublicKey public_key_;
};

// Writes "NodeKeyPair{public=<base64>, secret=<redacted>}".
std::ostream& operator<<(std::ostream& out, const NodeKeyPair& pair);

// X25519(secret, peer). Errors: kOperationFailed when the result is all-zero (peer key of small
// order), kInvalidKey for an empty secret, kOutOfMemory.
[[nodiscard]] base::Result<SecretKey, CryptoError> x25519_shared_secret(const SecretKey& secret, const PublicKey& peer);

}  // namespace rustynet::crypto
