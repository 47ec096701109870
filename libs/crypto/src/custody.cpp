// SPDX-License-Identifier: Apache-2.0
// Custody error vocabulary and the typed load/store helpers shared by every backend.
#include "rustynet/crypto/custody.hpp"

#include <ostream>
#include <utility>

namespace rustynet::crypto {

std::string_view to_string(CustodyErrorKind kind) noexcept {
  switch (kind) {
    case CustodyErrorKind::kNotFound: return "not_found";
    case CustodyErrorKind::kSymlink: return "symlink";
    case CustodyErrorKind::kBadPermissions: return "bad_permissions";
    case CustodyErrorKind::kOwnerMismatch: return "owner_mismatch";
    case CustodyErrorKind::kNotRegularFile: return "not_regular_file";
    case CustodyErrorKind::kNotDirectory: return "not_directory";
    case CustodyErrorKind::kIo: return "io";
    case CustodyErrorKind::kTruncated: return "truncated";
    case CustodyErrorKind::kBadMagic: return "bad_magic";
    case CustodyErrorKind::kUnsupportedVersion: return "unsupported_version";
    case CustodyErrorKind::kUnsupportedAlgorithm: return "unsupported_algorithm";
    case CustodyErrorKind::kInvalidParameters: return "invalid_parameters";
    case CustodyErrorKind::kPurposeMismatch: return "purpose_mismatch";
    case CustodyErrorKind::kHostSaltMismatch: return "host_salt_mismatch";
    case CustodyErrorKind::kAuthenticationFailed: return "authentication_failed";
    case CustodyErrorKind::kKeyIdMismatch: return "key_id_mismatch";
    case CustodyErrorKind::kReadOnly: return "read_only";
    case CustodyErrorKind::kNoSecureStore: return "no_secure_store";
    case CustodyErrorKind::kOperatorSecretInvalid: return "operator_secret_invalid";
    case CustodyErrorKind::kInvalidKey: return "invalid_key";
    case CustodyErrorKind::kInterrupted: return "interrupted";
    case CustodyErrorKind::kCryptoFailure: return "crypto_failure";
  }
  return "unknown";
}

std::string CustodyError::describe() const {
  std::string text = "key custody: ";
  text += to_string(kind);
  if (!path.empty()) {
    text += ": ";
    text += path;
  }
  if (!detail.empty()) {
    text += ": ";
    text += detail;
  }
  return text;
}

std::ostream& operator<<(std::ostream& out, const CustodyError& error) { return out << error.describe(); }

CustodyError custody_error_from(const base::FileError& error) {
  CustodyErrorKind kind = CustodyErrorKind::kIo;
  switch (error.kind) {
    case base::FileErrorKind::kNotFound: kind = CustodyErrorKind::kNotFound; break;
    case base::FileErrorKind::kIsSymlink: kind = CustodyErrorKind::kSymlink; break;
    case base::FileErrorKind::kNotRegularFile: kind = CustodyErrorKind::kNotRegularFile; break;
    case base::FileErrorKind::kNotDirectory: kind = CustodyErrorKind::kNotDirectory; break;
    case base::FileErrorKind::kPermissionMismatch: kind = CustodyErrorKind::kBadPermissions; break;
    case base::FileErrorKind::kOwnerMismatch: kind = CustodyErrorKind::kOwnerMismatch; break;
    case base::FileErrorKind::kTooLarge: kind = CustodyErrorKind::kTruncated; break;
    case base::FileErrorKind::kIo: kind = CustodyErrorKind::kIo; break;
    case base::FileErrorKind::kInterrupted: kind = CustodyErrorKind::kInterrupted; break;
  }
  return CustodyError{kind, error.path, error.detail};
}

std::string_view to_string(CustodyBackend backend) noexcept {
  switch (backend) {
    case CustodyBackend::kSystemdCredentials: return "systemd-credentials";
    case CustodyBackend::kEncryptedFile: return "encrypted-file";
  }
  return "unknown";
}

std::ostream& operator<<(std::ostream& out, const StoredKey& key) {
  return out << "StoredKey{purpose=" << to_string(key.purpose) << ", key_id=" << key.key_id << ", secret=<redacted>}";
}

namespace {

CustodyError from_crypto(const CryptoError& error, KeyPurpose purpose) {
  const auto kind =
      error.kind == CryptoErrorKind::kInvalidKey ? CustodyErrorKind::kInvalidKey : CustodyErrorKind::kCryptoFailure;
  return CustodyError{kind, std::string(to_string(purpose)), error.describe()};
}

}  // namespace

base::Result<NodeKeyPair, CustodyError> load_node_key_pair(KeyCustody& custody) {
  RUSTYNET_ASSIGN_OR_RETURN(StoredKey stored, custody.load(KeyPurpose::kNodeTunnel));
  auto secret = SecretKey::from_bytes(stored.secret.view());
  if (!secret.has_value()) {
    return base::unexpected(from_crypto(secret.error(), KeyPurpose::kNodeTunnel));
  }
  auto pair = NodeKeyPair::from_secret(std::move(secret).value());
  if (!pair.has_value()) {
    return base::unexpected(from_crypto(pair.error(), KeyPurpose::kNodeTunnel));
  }
  return std::move(pair).value();
}

base::Result<Ed25519SigningKey, CustodyError> load_signing_key(KeyCustody& custody, KeyPurpose purpose) {
  if (algorithm_for(purpose) != KeyAlgorithm::kEd25519) {
    return base::unexpected(
        CustodyError{CustodyErrorKind::kInvalidKey, std::string(to_string(purpose)), "not an Ed25519 key purpose"});
  }
  RUSTYNET_ASSIGN_OR_RETURN(StoredKey stored, custody.load(purpose));
  auto key = Ed25519SigningKey::from_seed(stored.secret.view());
  if (!key.has_value()) {
    return base::unexpected(from_crypto(key.error(), purpose));
  }
  return std::move(key).value();
}

base::Status<CustodyError> store_node_key_pair(KeyCustody& custody, const NodeKeyPair& pair) {
  return custody.store(KeyPurpose::kNodeTunnel, pair.secret_key().expose());
}

base::Status<CustodyError> store_signing_key(KeyCustody& custody, KeyPurpose purpose, const Ed25519SigningKey& key) {
  if (algorithm_for(purpose) != KeyAlgorithm::kEd25519) {
    return base::unexpected(
        CustodyError{CustodyErrorKind::kInvalidKey, std::string(to_string(purpose)), "not an Ed25519 key purpose"});
  }
  const base::SecretBytes seed = key.export_seed();
  return custody.store(purpose, seed.view());
}

}  // namespace rustynet::crypto
