// SPDX-License-Identifier: Apache-2.0
// KeyCustody: where a host's private keys live at rest, with fail-closed loading (spec 5.4).
#pragma once

#include <cstdint>
#include <iosfwd>
#include <span>
#include <string>
#include <string_view>

#include "rustynet/base/file_io.hpp"
#include "rustynet/base/result.hpp"
#include "rustynet/base/secret_bytes.hpp"
#include "rustynet/crypto/crypto_error.hpp"
#include "rustynet/crypto/ed25519.hpp"
#include "rustynet/crypto/key_hierarchy.hpp"
#include "rustynet/crypto/x25519.hpp"

namespace rustynet::crypto {

// Stable kinds; append only. Every one of them refuses: no custody failure ever falls back to
// another store or to plaintext.
enum class CustodyErrorKind : std::uint8_t {
  kNotFound = 0,                // no key stored for this purpose (or no salt / directory)
  kSymlink = 1,                 // a path component we check is a symbolic link
  kBadPermissions = 2,          // directory not 0700 / file not 0600 (or group/other bits set)
  kOwnerMismatch = 3,           // not owned by the effective uid
  kNotRegularFile = 4,          // wrong file type
  kNotDirectory = 5,            // the key directory is not a directory
  kIo = 6,                      // any other system call failure
  kTruncated = 7,               // blob shorter or longer than its header says
  kBadMagic = 8,                // not a Rustynet key blob
  kUnsupportedVersion = 9,      // blob format version this build does not know
  kUnsupportedAlgorithm = 10,   // KDF or AEAD identifier this build does not know
  kInvalidParameters = 11,      // KDF parameters outside the accepted bounds
  kPurposeMismatch = 12,        // blob is for another key purpose
  kHostSaltMismatch = 13,       // blob was sealed with another host's salt
  kAuthenticationFailed = 14,   // AEAD tag did not verify: wrong operator secret or tampering
  kKeyIdMismatch = 15,          // decrypted secret does not match the key id the blob names
  kReadOnly = 16,               // the store cannot be written (systemd credentials)
  kNoSecureStore = 17,          // neither the OS store nor the encrypted fallback is usable
  kOperatorSecretInvalid = 18,  // operator secret missing, too short or too long
  kInvalidKey = 19,             // the stored secret is not a valid key
  kInterrupted = 20,            // an atomic write was stopped (crash simulation in tests)
  kCryptoFailure = 21,          // libsodium failure (allocation, init)
};

struct CustodyError {
  CustodyErrorKind kind = CustodyErrorKind::kIo;
  std::string path;    // file concerned, if any
  std::string detail;  // human-readable; never contains secret bytes

  // "kind: path: detail".
  [[nodiscard]] std::string describe() const;
};

[[nodiscard]] std::string_view to_string(CustodyErrorKind kind) noexcept;
std::ostream& operator<<(std::ostream& out, const CustodyError& error);

// Maps base file errors onto custody kinds (kIsSymlink -> kSymlink, ...).
[[nodiscard]] CustodyError custody_error_from(const base::FileError& error);

enum class CustodyBackend : std::uint8_t {
  kSystemdCredentials = 1,  // OS secure store: $CREDENTIALS_DIRECTORY, read-only
  kEncryptedFile = 2,       // encrypted fallback: Argon2id + XChaCha20-Poly1305 blobs
};

[[nodiscard]] std::string_view to_string(CustodyBackend backend) noexcept;

// A secret loaded from custody, with the key id derived from it (and, for blobs, checked against
// the id the blob was sealed with). Move-only; printing shows purpose and id only.
struct StoredKey {
  KeyPurpose purpose = KeyPurpose::kNodeIdentity;
  std::string key_id;
  base::SecretBytes secret;
};

std::ostream& operator<<(std::ostream& out, const StoredKey& key);

// One store of host private keys. Implementations check every invariant on every call (modes,
// owner, symlinks, format, MAC) and refuse on any mismatch. Not thread-safe: load keys at startup
// from one thread and keep the typed key objects.
class KeyCustody {
 public:
  virtual ~KeyCustody() = default;
  KeyCustody() = default;
  KeyCustody(const KeyCustody&) = delete;
  KeyCustody& operator=(const KeyCustody&) = delete;
  KeyCustody(KeyCustody&&) = delete;
  KeyCustody& operator=(KeyCustody&&) = delete;

  [[nodiscard]] virtual CustodyBackend backend() const noexcept = 0;
  [[nodiscard]] virtual bool writable() const noexcept = 0;
  // Whether a key for `purpose` is present (checks the store's own invariants first).
  [[nodiscard]] virtual base::Result<bool, CustodyError> contains(KeyPurpose purpose) = 0;
  // Errors: see CustodyErrorKind; kNotFound when nothing is stored.
  [[nodiscard]] virtual base::Result<StoredKey, CustodyError> load(KeyPurpose purpose) = 0;
  // Replaces the key for `purpose` atomically: after a crash the store holds either the old or
  // the new key, never neither. `secret` is 32 bytes. Errors: kReadOnly, kInvalidKey, I/O kinds.
  [[nodiscard]] virtual base::Status<CustodyError> store(KeyPurpose purpose, std::span<const std::uint8_t> secret) = 0;
};

// Typed helpers on top of any custody.
[[nodiscard]] base::Result<NodeKeyPair, CustodyError> load_node_key_pair(KeyCustody& custody);
// `purpose` must be an Ed25519 purpose (kNodeIdentity or kControlSigning); else kInvalidKey.
[[nodiscard]] base::Result<Ed25519SigningKey, CustodyError> load_signing_key(KeyCustody& custody, KeyPurpose purpose);
[[nodiscard]] base::Status<CustodyError> store_node_key_pair(KeyCustody& custody, const NodeKeyPair& pair);
[[nodiscard]] base::Status<CustodyError> store_signing_key(KeyCustody& custody, KeyPurpose purpose,
                                                           const Ed25519SigningKey& key);

}  // namespace rustynet::crypto
