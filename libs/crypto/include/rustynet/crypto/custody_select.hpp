// SPDX-License-Identifier: Apache-2.0
// Startup selection of the key store: OS store first, encrypted fallback second, else refuse.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "rustynet/base/result.hpp"
#include "rustynet/crypto/custody.hpp"
#include "rustynet/crypto/custody_file.hpp"

namespace rustynet::crypto {

// Where the operator secret for the encrypted fallback comes from. There is deliberately no
// "argument" or "environment variable" source.
struct OperatorSecretSource {
  enum class Kind : std::uint8_t { kNone, kFd, kFile, kCredential };
  Kind kind = Kind::kNone;
  int fd = -1;       // kFd
  std::string name;  // kFile: path; kCredential: credential name inside the credentials directory

  [[nodiscard]] static OperatorSecretSource none() { return {}; }
  [[nodiscard]] static OperatorSecretSource from_fd(int descriptor) { return {Kind::kFd, descriptor, {}}; }
  [[nodiscard]] static OperatorSecretSource from_file(std::string path) { return {Kind::kFile, -1, std::move(path)}; }
  [[nodiscard]] static OperatorSecretSource from_credential(std::string credential) {
    return {Kind::kCredential, -1, std::move(credential)};
  }
};

// Default credential name for the operator secret when it comes through systemd.
inline constexpr const char* kOperatorSecretCredential = "rustynet.custody-secret";

struct CustodySelection {
  std::string key_directory;                         // encrypted fallback directory
  std::optional<std::string> credentials_directory;  // usually detect_credentials_directory()
  OperatorSecretSource operator_secret;
  EncryptedFileCustodyOptions file_options;
};

// 1. If `credentials_directory` holds at least one key credential (credential_name_for(...)),
//    the systemd credential store is used (read-only).
// 2. Otherwise, if an operator secret source is given (for kCredential it is read from
//    `credentials_directory`), the encrypted file store in `key_directory` is opened with all
//    startup checks.
// 3. Otherwise kNoSecureStore: the caller must refuse to start.
// Any failure in the chosen path is returned as is; there is no fall-through to a weaker store.
[[nodiscard]] base::Result<std::unique_ptr<KeyCustody>, CustodyError> select_key_custody(
    const CustodySelection& selection);

}  // namespace rustynet::crypto
