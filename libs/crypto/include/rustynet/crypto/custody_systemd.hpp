// SPDX-License-Identifier: Apache-2.0
// systemd-credential key custody: the OS secure store on Linux (read-only for the service).
#pragma once

#include <sys/types.h>

#include <memory>
#include <optional>
#include <span>
#include <string>

#include "rustynet/base/result.hpp"
#include "rustynet/crypto/custody.hpp"

namespace rustynet::crypto {

// Credential file name for `purpose`: "rustynet.node-identity", "rustynet.node-tunnel",
// "rustynet.control-signing". Operators install them with LoadCredentialEncrypted= (encrypted at
// rest with the host's TPM2 and/or /var/lib/systemd/credential.secret); systemd decrypts them into
// a private, read-only, non-swappable directory for the service and names it in
// $CREDENTIALS_DIRECTORY. Content: the 32-byte key as standard padded base64 (one optional
// trailing newline).
[[nodiscard]] std::string credential_name_for(KeyPurpose purpose);

// The credentials directory systemd gave this process, if any: $CREDENTIALS_DIRECTORY read with
// secure_getenv (ignored in setuid/setgid contexts), which must be an absolute path. This is the
// only environment read in key custody, and it is a location, never a secret.
[[nodiscard]] std::optional<std::string> detect_credentials_directory();

class SystemdCredentialCustody final : public KeyCustody {
 public:
  // Checks the directory: exists, is a directory, not a symlink, not writable by group/other.
  // (It is owned by root or the service user depending on the systemd version, so the owner is
  // not pinned; each credential file must be owned by `expected_owner`, default euid.)
  [[nodiscard]] static base::Result<std::unique_ptr<SystemdCredentialCustody>, CustodyError> open(
      std::string credentials_directory, std::optional<uid_t> expected_owner = std::nullopt);

  class ConstructionKey {
    friend class SystemdCredentialCustody;
    ConstructionKey() = default;
  };
  SystemdCredentialCustody(ConstructionKey key, std::string directory, uid_t owner);

  [[nodiscard]] CustodyBackend backend() const noexcept override { return CustodyBackend::kSystemdCredentials; }
  [[nodiscard]] bool writable() const noexcept override { return false; }
  [[nodiscard]] base::Result<bool, CustodyError> contains(KeyPurpose purpose) override;
  // Each credential file: regular, not a symlink, owned by the expected owner, no group/other
  // bits, valid base64 of exactly 32 bytes that is a valid key. Errors as CustodyErrorKind.
  [[nodiscard]] base::Result<StoredKey, CustodyError> load(KeyPurpose purpose) override;
  // Always kReadOnly: credentials are provisioned by the operator through systemd.
  [[nodiscard]] base::Status<CustodyError> store(KeyPurpose purpose, std::span<const std::uint8_t> secret) override;

  [[nodiscard]] std::string path_for(KeyPurpose purpose) const;

 private:
  [[nodiscard]] base::Status<CustodyError> check_directory() const;

  std::string directory_;
  uid_t owner_;
};

}  // namespace rustynet::crypto
