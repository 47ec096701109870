// SPDX-License-Identifier: Apache-2.0
// Encrypted-file key custody: the fallback store (docs/key-custody.md has the blob format).
#pragma once

#include <sys/types.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>

#include "rustynet/base/file_io.hpp"
#include "rustynet/base/result.hpp"
#include "rustynet/base/secret_bytes.hpp"
#include "rustynet/crypto/custody.hpp"

namespace rustynet::crypto {

inline constexpr std::size_t kOperatorSecretMinBytes = 16;
inline constexpr std::size_t kOperatorSecretMaxBytes = 4096;

// The operator-provided secret the envelope key is derived from. It never comes from argv or the
// environment: only from an inherited file descriptor, a private file, or a systemd credential.
// One trailing "\n" (or "\r\n") is stripped. Move-only, wiped, prints "<redacted>".
class OperatorSecret {
 public:
  // Reads `fd` to EOF (does not close it). Errors: kOperatorSecretInvalid (empty, < 16 or > 4096
  // bytes), kIo.
  [[nodiscard]] static base::Result<OperatorSecret, CustodyError> from_fd(int fd);
  // A regular file, not a symlink, owned by the euid, no group/other permission bits.
  [[nodiscard]] static base::Result<OperatorSecret, CustodyError> from_file(const std::string& path);
  // `credentials_directory`/`name`, with the same checks as from_file (systemd presents
  // decrypted credentials as files only the service user can read).
  [[nodiscard]] static base::Result<OperatorSecret, CustodyError> from_credential(
      const std::string& credentials_directory, const std::string& name);
  // For tests and for callers that already hold the bytes in zeroising storage.
  [[nodiscard]] static base::Result<OperatorSecret, CustodyError> from_bytes(std::span<const std::uint8_t> bytes);

  [[nodiscard]] std::span<const std::uint8_t> expose() const noexcept { return bytes_.view(); }

 private:
  explicit OperatorSecret(base::SecretBytes bytes) : bytes_(std::move(bytes)) {}
  base::SecretBytes bytes_;
};

std::ostream& operator<<(std::ostream& out, const OperatorSecret& secret);

// Argon2id parameters (libsodium crypto_pwhash, Argon2id v1.3, parallelism 1).
struct EnvelopeParams {
  std::uint32_t ops_limit = 2;               // passes over memory (Argon2 t)
  std::uint32_t mem_limit_kib = 64U * 1024;  // KiB (Argon2 m): 64 MiB
};

// Parameters a blob may carry and still be accepted on load. The floor keeps weak blobs out, the
// ceiling stops a tampered header from asking for gigabytes of memory.
struct EnvelopeLimits {
  std::uint32_t min_ops_limit = 2;
  std::uint32_t max_ops_limit = 16;
  std::uint32_t min_mem_limit_kib = 64U * 1024;
  std::uint32_t max_mem_limit_kib = 1024U * 1024;
};

// The production choice (docs/key-custody.md explains it, bench/crypto measures it): t=2,
// m=64 MiB, p=1 (libsodium's INTERACTIVE level), about half a second on a Raspberry Pi 4.
[[nodiscard]] EnvelopeParams default_envelope_params() noexcept;
[[nodiscard]] EnvelopeLimits default_envelope_limits() noexcept;

struct EncryptedFileCustodyOptions {
  EnvelopeParams params = default_envelope_params();
  EnvelopeLimits limits = default_envelope_limits();
  // Create the key directory (0700) when it does not exist. Never changes an existing one.
  bool create_directory = false;
  // Owner every file and the directory must have; defaults to the effective uid.
  std::optional<uid_t> expected_owner;
  // Passed to base::atomic_write_file (tests use the observer to simulate crashes).
  base::AtomicWriteOptions write_options;
};

// Layout of the key directory (0700):
//   host.salt            16 random bytes, the per-host Argon2id salt (0600)
//   <purpose>.key        one sealed blob per key purpose (0600), e.g. node-tunnel.key
class EncryptedFileCustody final : public KeyCustody {
 public:
  // Runs the startup checks on the directory (exists or is created, is a directory, not a
  // symlink, mode 0700, owned by the expected owner) and on the host salt if present.
  // Errors: kNotFound, kSymlink, kNotDirectory, kBadPermissions, kOwnerMismatch, kIo,
  // kOperatorSecretInvalid, kInvalidParameters (write params outside limits).
  [[nodiscard]] static base::Result<std::unique_ptr<EncryptedFileCustody>, CustodyError> open(
      std::string directory, OperatorSecret secret, EncryptedFileCustodyOptions options = {});

  // Construction goes through open(); the key type keeps the constructor usable only from there.
  class ConstructionKey {
    friend class EncryptedFileCustody;
    ConstructionKey() = default;
  };
  EncryptedFileCustody(ConstructionKey key, std::string directory, OperatorSecret secret,
                       EncryptedFileCustodyOptions options, uid_t owner);
  ~EncryptedFileCustody() override;

  [[nodiscard]] CustodyBackend backend() const noexcept override { return CustodyBackend::kEncryptedFile; }
  [[nodiscard]] bool writable() const noexcept override { return true; }
  [[nodiscard]] base::Result<bool, CustodyError> contains(KeyPurpose purpose) override;
  [[nodiscard]] base::Result<StoredKey, CustodyError> load(KeyPurpose purpose) override;
  [[nodiscard]] base::Status<CustodyError> store(KeyPurpose purpose, std::span<const std::uint8_t> secret) override;

  [[nodiscard]] std::string path_for(KeyPurpose purpose) const;
  [[nodiscard]] std::string salt_path() const;
  [[nodiscard]] const std::string& directory() const noexcept { return directory_; }

 private:
  struct DerivedKeyCache;

  [[nodiscard]] base::Status<CustodyError> check_directory() const;
  [[nodiscard]] base::Result<std::optional<std::array<std::uint8_t, 16>>, CustodyError> read_salt() const;
  [[nodiscard]] base::Result<std::array<std::uint8_t, 16>, CustodyError> ensure_salt();

  std::string directory_;
  OperatorSecret secret_;
  EncryptedFileCustodyOptions options_;
  uid_t owner_;
  std::unique_ptr<DerivedKeyCache> cache_;
};

}  // namespace rustynet::crypto
