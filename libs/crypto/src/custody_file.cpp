// SPDX-License-Identifier: Apache-2.0
// Encrypted-file custody: Argon2id envelope key, XChaCha20-Poly1305 blobs, fail-closed checks.
#include "rustynet/crypto/custody_file.hpp"
#include "rustynet/crypto/algorithm_use.hpp"

#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <ostream>
#include <utility>

#include "custody_blob.hpp"
#include "custody_io.hpp"
#include "rustynet/base/sys_error.hpp"
#include "rustynet/crypto/secure_buffer.hpp"

namespace rustynet::crypto {
namespace {

static_assert(crypto_pwhash_SALTBYTES == detail::kSaltSize);
static_assert(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES == detail::kNonceSize);
static_assert(crypto_aead_xchacha20poly1305_ietf_ABYTES == detail::kTagSize);
static_assert(crypto_aead_xchacha20poly1305_ietf_KEYBYTES == 32);
static_assert(detail::kKeyIdFieldSize == kKeyIdLength);

constexpr std::size_t kMaxBlobBytes = 1024;
constexpr const char* kSaltFileName = "host.salt";

// crypto_pwhash takes the password as `const char*`. uint8_t and char may alias, so this is
// well-defined; it is the one cast in this library (unsafe-gate allowlist).
const char* password_chars(std::span<const std::uint8_t> bytes) {
  return reinterpret_cast<const char*>(bytes.data());  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast)
}

base::Result<OperatorSecret, CustodyError> validated(base::SecretBytes bytes, const std::string& label) {
  base::SecretBytes stripped = detail::strip_trailing_newline(std::move(bytes));
  if (stripped.size() < kOperatorSecretMinBytes) {
    return base::unexpected(
        CustodyError{CustodyErrorKind::kOperatorSecretInvalid, label, "operator secret shorter than 16 bytes"});
  }
  if (stripped.size() > kOperatorSecretMaxBytes) {
    return base::unexpected(
        CustodyError{CustodyErrorKind::kOperatorSecretInvalid, label, "operator secret longer than 4096 bytes"});
  }
  return OperatorSecret::from_bytes(stripped.view());
}

bool params_within(const EnvelopeParams& params, const EnvelopeLimits& limits) {
  return params.ops_limit >= limits.min_ops_limit && params.ops_limit <= limits.max_ops_limit &&
         params.mem_limit_kib >= limits.min_mem_limit_kib && params.mem_limit_kib <= limits.max_mem_limit_kib;
}

}  // namespace

// ---- OperatorSecret ----

base::Result<OperatorSecret, CustodyError> OperatorSecret::from_fd(int fd) {
  const std::string label = "fd " + std::to_string(fd);
  if (fd < 0) {
    return base::unexpected(CustodyError{CustodyErrorKind::kOperatorSecretInvalid, label, "invalid descriptor"});
  }
  RUSTYNET_ASSIGN_OR_RETURN(base::SecretBytes bytes, detail::read_secret_fd(fd, kOperatorSecretMaxBytes + 2, label));
  return validated(std::move(bytes), label);
}

base::Result<OperatorSecret, CustodyError> OperatorSecret::from_file(const std::string& path) {
  RUSTYNET_ASSIGN_OR_RETURN(base::SecretBytes bytes,
                            detail::read_owner_only_file(path, ::geteuid(), kOperatorSecretMaxBytes + 2));
  return validated(std::move(bytes), path);
}

base::Result<OperatorSecret, CustodyError> OperatorSecret::from_credential(const std::string& credentials_directory,
                                                                           const std::string& name) {
  if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..") {
    return base::unexpected(
        CustodyError{CustodyErrorKind::kOperatorSecretInvalid, name, "credential name must be a plain file name"});
  }
  return from_file(credentials_directory + "/" + name);
}

base::Result<OperatorSecret, CustodyError> OperatorSecret::from_bytes(std::span<const std::uint8_t> bytes) {
  if (bytes.size() < kOperatorSecretMinBytes || bytes.size() > kOperatorSecretMaxBytes) {
    return base::unexpected(
        CustodyError{CustodyErrorKind::kOperatorSecretInvalid, "", "operator secret must be 16 to 4096 bytes"});
  }
  return OperatorSecret(base::SecretBytes(bytes));
}

std::ostream& operator<<(std::ostream& out, const OperatorSecret& /*secret*/) { return out << "<redacted>"; }

EnvelopeParams default_envelope_params() noexcept { return EnvelopeParams{}; }
EnvelopeLimits default_envelope_limits() noexcept { return EnvelopeLimits{}; }

// ---- EncryptedFileCustody ----

struct EncryptedFileCustody::DerivedKeyCache {
  bool valid = false;
  EnvelopeParams params;
  detail::Salt salt{};
  SecureBuffer key;
};

EncryptedFileCustody::EncryptedFileCustody(ConstructionKey /*key*/, std::string directory, OperatorSecret secret,
                                           EncryptedFileCustodyOptions options, uid_t owner)
    : directory_(std::move(directory)),
      secret_(std::move(secret)),
      options_(std::move(options)),
      owner_(owner),
      cache_(std::make_unique<DerivedKeyCache>()) {}

EncryptedFileCustody::~EncryptedFileCustody() = default;

base::Result<std::unique_ptr<EncryptedFileCustody>, CustodyError> EncryptedFileCustody::open(
    std::string directory, OperatorSecret secret, EncryptedFileCustodyOptions options) {
  if (auto init = ensure_sodium(); !init.has_value()) {
    return base::unexpected(CustodyError{CustodyErrorKind::kCryptoFailure, "", init.error().describe()});
  }
  if (directory.empty()) {
    return base::unexpected(CustodyError{CustodyErrorKind::kNotFound, "", "no key directory configured"});
  }
  if (!params_within(options.params, options.limits) || options.params.ops_limit < crypto_pwhash_OPSLIMIT_MIN ||
      static_cast<std::size_t>(options.params.mem_limit_kib) * 1024U < crypto_pwhash_MEMLIMIT_MIN) {
    return base::unexpected(
        CustodyError{CustodyErrorKind::kInvalidParameters, directory, "envelope parameters outside accepted bounds"});
  }
  const uid_t owner = options.expected_owner.value_or(::geteuid());
  if (options.create_directory) {
    struct stat info {};
    if (::lstat(directory.c_str(), &info) != 0) {
      if (errno != ENOENT) {
        return base::unexpected(
            CustodyError{CustodyErrorKind::kIo, directory, base::last_sys_error("lstat").describe()});
      }
      if (::mkdir(directory.c_str(), 0700) != 0) {
        return base::unexpected(
            CustodyError{CustodyErrorKind::kIo, directory, base::last_sys_error("mkdir").describe()});
      }
    }
  }
  auto custody = std::make_unique<EncryptedFileCustody>(ConstructionKey(), std::move(directory), std::move(secret),
                                                        std::move(options), owner);
  RUSTYNET_RETURN_IF_ERROR(custody->check_directory());
  RUSTYNET_RETURN_IF_ERROR(custody->read_salt());
  return custody;
}

std::string EncryptedFileCustody::path_for(KeyPurpose purpose) const {
  return directory_ + "/" + std::string(to_string(purpose)) + ".key";
}

std::string EncryptedFileCustody::salt_path() const { return directory_ + "/" + kSaltFileName; }

base::Status<CustodyError> EncryptedFileCustody::check_directory() const {
  auto checked = base::check_private_dir(directory_, 0700, owner_);
  if (!checked.has_value()) {
    return base::unexpected(custody_error_from(checked.error()));
  }
  return {};
}

base::Result<std::optional<detail::Salt>, CustodyError> EncryptedFileCustody::read_salt() const {
  const std::string path = salt_path();
  auto checked = base::check_private_file(path, 0600, owner_);
  if (!checked.has_value()) {
    if (checked.error().kind == base::FileErrorKind::kNotFound) {
      return std::optional<detail::Salt>();
    }
    return base::unexpected(custody_error_from(checked.error()));
  }
  auto text = base::read_file_bounded(path, 64);
  if (!text.has_value()) {
    return base::unexpected(custody_error_from(text.error()));
  }
  if (text->size() != detail::kSaltSize) {
    return base::unexpected(CustodyError{CustodyErrorKind::kTruncated, path, "host salt must be 16 bytes"});
  }
  detail::Salt salt{};
  std::transform(text->begin(), text->end(), salt.begin(), [](char c) { return static_cast<std::uint8_t>(c); });
  return std::optional<detail::Salt>(salt);
}

base::Result<detail::Salt, CustodyError> EncryptedFileCustody::ensure_salt() {
  RUSTYNET_ASSIGN_OR_RETURN(std::optional<detail::Salt> existing, read_salt());
  if (existing.has_value()) {
    return *existing;
  }
  detail::Salt salt{};
  randombytes_buf(salt.data(), salt.size());
  base::AtomicWriteOptions write_options;
  write_options.mode = 0600;
  auto written = base::atomic_write_file(salt_path(), salt, write_options);
  if (!written.has_value()) {
    return base::unexpected(custody_error_from(written.error()));
  }
  return salt;
}

namespace {

// Derives (or reuses) the envelope key for `params` and `salt`.
base::Result<std::span<const std::uint8_t>, CustodyError> derive_envelope_key(
    std::span<const std::uint8_t> password, const EnvelopeParams& params, const detail::Salt& salt, SecureBuffer& key,
    bool& valid, EnvelopeParams& cached_params, detail::Salt& cached_salt) {
  if (valid && cached_params.ops_limit == params.ops_limit && cached_params.mem_limit_kib == params.mem_limit_kib &&
      cached_salt == salt) {
    return key.view();
  }
  valid = false;
  auto buffer = SecureBuffer::allocate(crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
  if (!buffer.has_value()) {
    return base::unexpected(CustodyError{CustodyErrorKind::kCryptoFailure, "", buffer.error().describe()});
  }
  key = std::move(buffer).value();
  const auto out = key.mutable_view();
  if (crypto_pwhash(out.data(), out.size(), password_chars(password), password.size(), salt.data(), params.ops_limit,
                    static_cast<std::size_t>(params.mem_limit_kib) * 1024U, crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return base::unexpected(
        CustodyError{CustodyErrorKind::kCryptoFailure, "", "argon2id key derivation failed (out of memory?)"});
  }
  valid = true;
  cached_params = params;
  cached_salt = salt;
  return key.view();
}

}  // namespace

base::Result<bool, CustodyError> EncryptedFileCustody::contains(KeyPurpose purpose) {
  RUSTYNET_RETURN_IF_ERROR(check_directory());
  auto checked = base::check_private_file(path_for(purpose), 0600, owner_);
  if (!checked.has_value()) {
    if (checked.error().kind == base::FileErrorKind::kNotFound) {
      return false;
    }
    return base::unexpected(custody_error_from(checked.error()));
  }
  return true;
}

base::Result<StoredKey, CustodyError> EncryptedFileCustody::load(KeyPurpose purpose) {
  RUSTYNET_RETURN_IF_ERROR(check_directory());
  const std::string path = path_for(purpose);
  auto checked = base::check_private_file(path, 0600, owner_);
  if (!checked.has_value()) {
    return base::unexpected(custody_error_from(checked.error()));
  }
  auto text = base::read_file_bounded(path, kMaxBlobBytes);
  if (!text.has_value()) {
    return base::unexpected(custody_error_from(text.error()));
  }
  std::vector<std::uint8_t> blob(text->size());
  std::transform(text->begin(), text->end(), blob.begin(), [](char c) { return static_cast<std::uint8_t>(c); });
  RUSTYNET_ASSIGN_OR_RETURN(detail::ParsedBlob parsed, detail::parse_blob(blob, purpose, options_.limits, path));

  RUSTYNET_ASSIGN_OR_RETURN(std::optional<detail::Salt> host_salt, read_salt());
  if (!host_salt.has_value()) {
    return base::unexpected(CustodyError{CustodyErrorKind::kHostSaltMismatch, salt_path(), "host salt is missing"});
  }
  if (*host_salt != parsed.header.salt) {
    return base::unexpected(
        CustodyError{CustodyErrorKind::kHostSaltMismatch, path, "key blob was sealed with another host salt"});
  }
  RUSTYNET_ASSIGN_OR_RETURN(std::span<const std::uint8_t> envelope_key,
                            derive_envelope_key(secret_.expose(), parsed.header.params, *host_salt, cache_->key,
                                                cache_->valid, cache_->params, cache_->salt));

  base::SecretBytes plaintext(kCustodySecretSize);
  unsigned long long plaintext_length = 0;  // NOLINT(google-runtime-int): libsodium's type
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(plaintext.mutable_view().data(), &plaintext_length, nullptr,
                                                 parsed.ciphertext.data(), parsed.ciphertext.size(),
                                                 parsed.header_bytes.data(), parsed.header_bytes.size(),
                                                 parsed.header.nonce.data(), envelope_key.data()) != 0 ||
      plaintext_length != kCustodySecretSize) {
    return base::unexpected(CustodyError{CustodyErrorKind::kAuthenticationFailed, path,
                                         "key blob did not authenticate (wrong operator secret or tampered file)"});
  }
  auto info = public_info_for(purpose, plaintext.view());
  if (!info.has_value()) {
    return base::unexpected(CustodyError{CustodyErrorKind::kInvalidKey, path, info.error().describe()});
  }
  if (info->key_id != parsed.header.key_id) {
    return base::unexpected(
        CustodyError{CustodyErrorKind::kKeyIdMismatch, path, "decrypted key does not match the blob's key id"});
  }
  return StoredKey{purpose, info->key_id, std::move(plaintext)};
}

base::Status<CustodyError> EncryptedFileCustody::store(KeyPurpose purpose, std::span<const std::uint8_t> secret) {
  const std::string path = path_for(purpose);
  if (secret.size() != kCustodySecretSize) {
    return base::unexpected(CustodyError{CustodyErrorKind::kInvalidKey, path, "secret must be 32 bytes"});
  }
  RUSTYNET_RETURN_IF_ERROR(check_directory());
  // An existing key file that fails the checks (symlink, wrong owner or mode) is refused rather
  // than silently replaced: it is evidence of tampering the operator must look at.
  auto existing = base::check_private_file(path, 0600, owner_);
  if (!existing.has_value() && existing.error().kind != base::FileErrorKind::kNotFound) {
    return base::unexpected(custody_error_from(existing.error()));
  }
  auto info = public_info_for(purpose, secret);
  if (!info.has_value()) {
    return base::unexpected(CustodyError{CustodyErrorKind::kInvalidKey, path, info.error().describe()});
  }
  RUSTYNET_ASSIGN_OR_RETURN(detail::Salt salt, ensure_salt());
  RUSTYNET_ASSIGN_OR_RETURN(std::span<const std::uint8_t> envelope_key,
                            derive_envelope_key(secret_.expose(), options_.params, salt, cache_->key, cache_->valid,
                                                cache_->params, cache_->salt));
  detail::BlobHeader header;
  header.purpose = purpose;
  header.params = options_.params;
  header.salt = salt;
  randombytes_buf(header.nonce.data(), header.nonce.size());
  header.key_id = info->key_id;
  header.plaintext_length = static_cast<std::uint16_t>(kCustodySecretSize);

  std::vector<std::uint8_t> blob = detail::serialize_header(header);
  blob.resize(detail::kHeaderSize + kCustodySecretSize + detail::kTagSize);
  unsigned long long ciphertext_length = 0;  // NOLINT(google-runtime-int): libsodium's type
  if (crypto_aead_xchacha20poly1305_ietf_encrypt(blob.data() + detail::kHeaderSize, &ciphertext_length, secret.data(),
                                                 secret.size(), blob.data(), detail::kHeaderSize, nullptr,
                                                 header.nonce.data(), envelope_key.data()) != 0 ||
      ciphertext_length != kCustodySecretSize + detail::kTagSize) {
    return base::unexpected(CustodyError{CustodyErrorKind::kCryptoFailure, path, "encryption failed"});
  }
  base::AtomicWriteOptions write_options = options_.write_options;
  write_options.mode = 0600;
  auto written = base::atomic_write_file(path, blob, write_options);
  if (!written.has_value()) {
    return base::unexpected(custody_error_from(written.error()));
  }
  return {};
}

// The key store: Argon2id (crypto_pwhash) derives the sealing key, XChaCha20-Poly1305 seals.
AlgorithmNames key_custody_algorithms() { return {"argon2id", "xchacha20-poly1305"}; }

}  // namespace rustynet::crypto
