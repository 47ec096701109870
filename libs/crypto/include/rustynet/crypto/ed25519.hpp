// SPDX-License-Identifier: Apache-2.0
// Ed25519 keys for control-plane signed artifacts and node identity (RFC 8032, via libsodium).
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
#include "rustynet/base/secret_bytes.hpp"
#include "rustynet/crypto/crypto_error.hpp"
#include "rustynet/crypto/secure_buffer.hpp"

namespace rustynet::crypto {

inline constexpr std::size_t kEd25519PublicKeySize = 32;
inline constexpr std::size_t kEd25519SeedSize = 32;
inline constexpr std::size_t kEd25519SignatureSize = 64;
// Length of key_id() in characters (hex of 8 bytes).
inline constexpr std::size_t kKeyIdLength = 16;

using Ed25519Signature = std::array<std::uint8_t, kEd25519SignatureSize>;

// Short stable identifier of a public key, for "signer key id" fields, logs and file names:
// lowercase hex of the first 8 bytes of BLAKE2b-256("rustynet-key-id-v1" || key_bytes).
// 64 bits identify a key among the handful an operator holds; they are NOT a security binding —
// always verify against the full public key. Same function for every key type (docs/key-hierarchy.md).
[[nodiscard]] std::string key_id_of(std::span<const std::uint8_t> public_key_bytes);

// A valid Ed25519 public key (a canonical curve point, not of small order). Value type: copyable,
// comparable, printable (public keys are not secret). Thread-safe for const use.
class Ed25519PublicKey {
 public:
  // Errors: kInvalidKey (length != 32, not a valid point, small order), kInitFailed.
  [[nodiscard]] static base::Result<Ed25519PublicKey, CryptoError> from_bytes(std::span<const std::uint8_t> bytes);
  // Standard padded base64 of the 32 bytes. Errors: kInvalidEncoding, kInvalidKey.
  [[nodiscard]] static base::Result<Ed25519PublicKey, CryptoError> from_base64(std::string_view text);

  [[nodiscard]] std::string to_base64() const;
  [[nodiscard]] std::span<const std::uint8_t, kEd25519PublicKeySize> bytes() const noexcept { return bytes_; }
  [[nodiscard]] std::string key_id() const { return key_id_of(bytes_); }

  // Strict RFC 8032 verification (libsodium crypto_sign_verify_detached: rejects non-canonical
  // S and small-order R). Errors: kVerifyFailed (bad signature or signature length != 64).
  [[nodiscard]] base::Status<CryptoError> verify(std::span<const std::uint8_t> message,
                                                 std::span<const std::uint8_t> signature) const;

  friend bool operator==(const Ed25519PublicKey&, const Ed25519PublicKey&) = default;
  friend auto operator<=>(const Ed25519PublicKey&, const Ed25519PublicKey&) = default;

 private:
  explicit Ed25519PublicKey(const std::array<std::uint8_t, kEd25519PublicKeySize>& bytes) : bytes_(bytes) {}
  std::array<std::uint8_t, kEd25519PublicKeySize> bytes_{};
};

// Writes "ed25519:<base64>".
std::ostream& operator<<(std::ostream& out, const Ed25519PublicKey& key);

// An Ed25519 signing key. The 64-byte libsodium secret (seed || public key) lives in a
// SecureBuffer: move-only, zeroised, locked where possible, "<redacted>" when printed. Moved-from
// keys are empty; using one aborts. Thread-safe for const use (sign() does not mutate).
class Ed25519SigningKey {
 public:
  // Fresh key from the OS CSPRNG. Errors: kInitFailed, kOutOfMemory.
  [[nodiscard]] static base::Result<Ed25519SigningKey, CryptoError> generate();
  // Deterministic key from a 32-byte RFC 8032 seed. Errors: kInvalidKey (length), kOutOfMemory.
  [[nodiscard]] static base::Result<Ed25519SigningKey, CryptoError> from_seed(std::span<const std::uint8_t> seed);

  Ed25519SigningKey(const Ed25519SigningKey&) = delete;
  Ed25519SigningKey& operator=(const Ed25519SigningKey&) = delete;
  Ed25519SigningKey(Ed25519SigningKey&&) noexcept = default;
  Ed25519SigningKey& operator=(Ed25519SigningKey&&) noexcept = default;
  ~Ed25519SigningKey() = default;

  [[nodiscard]] const Ed25519PublicKey& public_key() const noexcept { return public_key_; }
  [[nodiscard]] std::string key_id() const { return public_key_.key_id(); }
  [[nodiscard]] Ed25519Signature sign(std::span<const std::uint8_t> message) const;
  // The 32-byte seed, for custody only. Never log it.
  [[nodiscard]] base::SecretBytes export_seed() const;
  // Explicit, fallible deep copy. Errors: kOutOfMemory.
  [[nodiscard]] base::Result<Ed25519SigningKey, CryptoError> clone() const;

 private:
  Ed25519SigningKey(SecureBuffer secret, Ed25519PublicKey public_key)
      : secret_(std::move(secret)), public_key_(public_key) {}

  SecureBuffer secret_;
  Ed25519PublicKey public_key_;
};

// Writes "Ed25519SigningKey{public=<base64>, secret=<redacted>}".
std::ostream& operator<<(std::ostream& out, const Ed25519SigningKey& key);

}  // namespace rustynet::crypto
