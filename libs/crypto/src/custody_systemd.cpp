// SPDX-License-Identifier: Apache-2.0
// systemd credentials as a read-only key store.
#include "rustynet/crypto/custody_systemd.hpp"

#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <utility>

#include "custody_io.hpp"
#include "rustynet/base/sys_error.hpp"
#include "rustynet/crypto/encoding.hpp"

namespace rustynet::crypto {
namespace {

// 44 base64 characters plus an optional "\r\n".
constexpr std::size_t kMaxCredentialBytes = 64;

}  // namespace

std::string credential_name_for(KeyPurpose purpose) { return "rustynet." + std::string(to_string(purpose)); }

std::optional<std::string> detect_credentials_directory() {
  const char* value = ::secure_getenv("CREDENTIALS_DIRECTORY");  // NOLINT(concurrency-mt-unsafe): startup only
  if (value == nullptr || value[0] != '/') {
    return std::nullopt;
  }
  return std::string(value);
}

SystemdCredentialCustody::SystemdCredentialCustody(ConstructionKey /*key*/, std::string directory, uid_t owner)
    : directory_(std::move(directory)), owner_(owner) {}

base::Result<std::unique_ptr<SystemdCredentialCustody>, CustodyError> SystemdCredentialCustody::open(
    std::string credentials_directory, std::optional<uid_t> expected_owner) {
  auto custody = std::make_unique<SystemdCredentialCustody>(ConstructionKey(), std::move(credentials_directory),
                                                            expected_owner.value_or(::geteuid()));
  RUSTYNET_RETURN_IF_ERROR(custody->check_directory());
  return custody;
}

std::string SystemdCredentialCustody::path_for(KeyPurpose purpose) const {
  return directory_ + "/" + credential_name_for(purpose);
}

base::Status<CustodyError> SystemdCredentialCustody::check_directory() const {
  struct stat info {};
  if (::lstat(directory_.c_str(), &info) != 0) {
    if (errno == ENOENT) {
      return base::unexpected(CustodyError{CustodyErrorKind::kNotFound, directory_, "does not exist"});
    }
    return base::unexpected(CustodyError{CustodyErrorKind::kIo, directory_, base::last_sys_error("lstat").describe()});
  }
  if (S_ISLNK(info.st_mode)) {
    return base::unexpected(CustodyError{CustodyErrorKind::kSymlink, directory_, "refusing a symbolic link"});
  }
  if (!S_ISDIR(info.st_mode)) {
    return base::unexpected(CustodyError{CustodyErrorKind::kNotDirectory, directory_, "not a directory"});
  }
  if ((info.st_mode & 022U) != 0) {
    return base::unexpected(CustodyError{CustodyErrorKind::kBadPermissions, directory_, "writable by group or other"});
  }
  return {};
}

base::Result<bool, CustodyError> SystemdCredentialCustody::contains(KeyPurpose purpose) {
  RUSTYNET_RETURN_IF_ERROR(check_directory());
  struct stat info {};
  if (::lstat(path_for(purpose).c_str(), &info) != 0) {
    if (errno == ENOENT) {
      return false;
    }
    return base::unexpected(
        CustodyError{CustodyErrorKind::kIo, path_for(purpose), base::last_sys_error("lstat").describe()});
  }
  return true;
}

base::Result<StoredKey, CustodyError> SystemdCredentialCustody::load(KeyPurpose purpose) {
  RUSTYNET_RETURN_IF_ERROR(check_directory());
  const std::string path = path_for(purpose);
  auto read = detail::read_owner_only_file(path, owner_, kMaxCredentialBytes);
  if (!read.has_value()) {
    CustodyError error = std::move(read).error();
    if (error.kind == CustodyErrorKind::kOperatorSecretInvalid) {
      error.kind = CustodyErrorKind::kInvalidKey;  // oversized credential
    }
    return base::unexpected(std::move(error));
  }
  base::SecretBytes raw = std::move(read).value();
  const base::SecretBytes text = detail::strip_trailing_newline(std::move(raw));
  // The credential is ASCII base64; the decoder wants chars, so copy into a scratch string that is
  // wiped right after decoding.
  std::string scratch(text.size(), '\0');
  std::transform(text.view().begin(), text.view().end(), scratch.begin(),
                 [](std::uint8_t c) { return static_cast<char>(c); });
  auto decoded = base64_decode_secret(scratch);
  sodium_memzero(scratch.data(), scratch.size());
  if (!decoded.has_value() || decoded->size() != kCustodySecretSize) {
    return base::unexpected(
        CustodyError{CustodyErrorKind::kInvalidKey, path, "credential is not base64 of a 32-byte key"});
  }
  auto info = public_info_for(purpose, decoded->view());
  if (!info.has_value()) {
    return base::unexpected(CustodyError{CustodyErrorKind::kInvalidKey, path, info.error().describe()});
  }
  return StoredKey{purpose, info->key_id, std::move(decoded).value()};
}

base::Status<CustodyError> SystemdCredentialCustody::store(KeyPurpose purpose,
                                                           std::span<const std::uint8_t> /*secret*/) {
  return base::unexpected(CustodyError{CustodyErrorKind::kReadOnly, path_for(purpose),
                                       "systemd credentials are read-only; provision them with systemd-creds"});
}

}  // namespace rustynet::crypto
